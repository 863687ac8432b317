package world_test

import (
	"fmt"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/world"
)

// A designer runs a zone headless: no network, simulated players (bots)
// inside the process, ticks as fast as the machine allows. The same seed
// and the same inputs give the same world, which the state hash shows.
func ExampleNewZone() {
	run := func() uint64 {
		z, err := world.NewZone(world.ZoneConfig{Seed: 7, Map: world.MapConfig{Width: 256, Height: 256}}, ecs.NewManualClock(ecs.Epoch))
		if err != nil {
			panic(err)
		}
		for i := 0; i < 50; i++ {
			if x, y, ok := z.RandomWalkable(128, 128, 100); ok {
				z.SpawnNPC(x, y, uint16(1+i%4), 5)
			}
		}
		for i := 0; i < 10; i++ {
			if x, y, ok := z.RandomWalkable(128, 128, 40); ok {
				p, _ := z.SpawnPlayer(x, y, 0)
				z.MakeBot(p, x, y, 30) // wanders within 30 m
			}
		}
		for range 200 { // 10 s of game time
			z.Tick()
		}
		fmt.Println("players:", z.Players(), "entities:", z.Entities())
		return z.StateHash()
	}
	fmt.Println("same seed, same world:", run() == run())
	// Output:
	// players: 10 entities: 60
	// players: 10 entities: 60
	// same seed, same world: true
}
