package systems

// Rules are the gameplay numbers a designer tunes; a world holds one as a
// resource. The zero value of a field means its default.
type Rules struct {
	PlayerSpeed float32 // m/s (default 6)
	NPCWalk     float32 // m/s while wandering or returning (default 2.5)
	NPCRun      float32 // m/s while chasing (default 5)

	ThinkEvery   uint64  // ticks between an NPC's decisions (default 10), staggered by entity
	AggroRadius  float32 // m (default 10)
	LeashRadius  float32 // m from home before an NPC gives up (default 40)
	WanderRadius float32 // m from home (default 15)
	IdleTicks    uint64  // longest pause between wanders (default 80)
	PathEvery    uint64  // ticks before a blocked chase recomputes its path (default 20)
	PathsPerTick int     // A* searches allowed per tick (default 32)

	NPCRange    float32 // m (default 2.5)
	NPCDamage   int32   // per hit (default 8)
	NPCCooldown uint64  // ticks (default 30)
	NPCHealth   int32   // (default 100)
	NPCRespawn  uint64  // ticks from death to respawn (default 600)

	PlayerRange    float32 // m (default 3)
	PlayerDamage   int32   // per hit (default 15)
	PlayerCooldown uint64  // ticks (default 20)
	PlayerHealth   int32   // (default 200)

	RegenEvery    uint64  // ticks between regeneration steps (default 20)
	RegenDelay    uint64  // ticks after a hit before regeneration (default 100)
	RegenFraction float32 // of maximum health per step (default 0.05)
}

// WithDefaults returns r with every zero field set to its default.
func (r Rules) WithDefaults() Rules {
	f := func(v *float32, d float32) {
		if *v == 0 {
			*v = d
		}
	}
	u := func(v *uint64, d uint64) {
		if *v == 0 {
			*v = d
		}
	}
	i := func(v *int32, d int32) {
		if *v == 0 {
			*v = d
		}
	}
	f(&r.PlayerSpeed, 6)
	f(&r.NPCWalk, 2.5)
	f(&r.NPCRun, 5)
	u(&r.ThinkEvery, 10)
	f(&r.AggroRadius, 10)
	f(&r.LeashRadius, 40)
	f(&r.WanderRadius, 15)
	u(&r.IdleTicks, 80)
	u(&r.PathEvery, 20)
	if r.PathsPerTick == 0 {
		r.PathsPerTick = 32
	}
	f(&r.NPCRange, 2.5)
	i(&r.NPCDamage, 8)
	u(&r.NPCCooldown, 30)
	i(&r.NPCHealth, 100)
	u(&r.NPCRespawn, 600)
	f(&r.PlayerRange, 3)
	i(&r.PlayerDamage, 15)
	u(&r.PlayerCooldown, 20)
	i(&r.PlayerHealth, 200)
	u(&r.RegenEvery, 20)
	u(&r.RegenDelay, 100)
	f(&r.RegenFraction, 0.05)
	return r
}

// NPCKind is an NPC template's numbers (content's npcs): at level 1, and
// what each level above adds. A zero field means the rules' default.
type NPCKind struct {
	Health   int32
	Damage   int32
	Range    float32
	Cooldown uint64
	Walk     float32
	Run      float32
	Aggro    float32
	Leash    float32
	Wander   float32
	Respawn  uint64
	// HealthPerLevel and DamagePerLevel are added for each level above 1.
	HealthPerLevel int32
	DamagePerLevel int32
	Peaceful       bool
}

// Bestiary is a world resource: the NPC templates by their id. A template
// it does not hold fights with the rules' defaults.
type Bestiary struct{ Kinds map[uint16]NPCKind }

// Stats returns the numbers of an NPC of template at level, and its
// maximum health.
func (r *Rules) Stats(b *Bestiary, template uint16, level uint8) (NPCStats, int32) {
	var k NPCKind
	if b != nil {
		k = b.Kinds[template]
	}
	f := func(v, d float32) float32 {
		if v == 0 {
			return d
		}
		return v
	}
	u := func(v, d uint64) uint64 {
		if v == 0 {
			return d
		}
		return v
	}
	i := func(v, d int32) int32 {
		if v == 0 {
			return d
		}
		return v
	}
	above := int32(max(level, 1)) - 1
	s := NPCStats{
		Damage: max(1, i(k.Damage, r.NPCDamage)+above*k.DamagePerLevel), Range: f(k.Range, r.NPCRange),
		Cooldown: max(1, u(k.Cooldown, r.NPCCooldown)), Walk: f(k.Walk, r.NPCWalk), Run: f(k.Run, r.NPCRun),
		Aggro: f(k.Aggro, r.AggroRadius), Leash: f(k.Leash, r.LeashRadius), Wander: f(k.Wander, r.WanderRadius),
		Respawn: u(k.Respawn, r.NPCRespawn), Peaceful: k.Peaceful,
	}
	return s, max(1, i(k.Health, r.NPCHealth)+above*k.HealthPerLevel)
}
