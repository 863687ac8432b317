package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gridrealm/gridrealm/world/content"
	"github.com/gridrealm/gridrealm/world/script"
)

// loadContent loads a content directory ("" or "default": the shipped
// content).
func loadContent(dir string) (*content.Set, error) {
	if dir == "" || dir == "default" {
		return content.LoadDefault()
	}
	return content.LoadDir(dir)
}

// runContent: content check DIR, content init DIR.
func runContent(args []string, stdout, stderr io.Writer) error {
	if len(args) == 2 && args[0] == "init" {
		if err := content.WriteDefault(args[1]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: the shipped content, to make your own (docs/designers.md); realm content check %s validates it\n", args[1], args[1])
		return nil
	}
	if len(args) < 1 || args[0] != "check" {
		return fmt.Errorf("%w: content check DIR (validate a content directory without running it), or content init DIR (write the shipped content there to start from)", errUsage)
	}
	fs := flag.NewFlagSet("realm content check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: content check DIR", errUsage)
	}
	set, err := loadContent(fs.Arg(0))
	var es content.Errors
	if errors.As(err, &es) {
		for _, e := range es {
			fmt.Fprintln(stdout, e.Error())
		}
		return fmt.Errorf("%s: %d errors", fs.Arg(0), len(es))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok (version %s): %d NPC templates, %d items, %d zones, %d instances, %d scripts, %d commands\n",
		set.Dir, set.Version, len(set.NPCs), len(set.Items), len(set.Zones), len(set.Instances), len(set.Scripts), len(set.Commands))
	return nil
}

// runPlay runs a zone of a content set headless with bots and prints what
// happens.
func runPlay(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("realm play", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("content", "default", "the content directory")
	zoneName := fs.String("zone", "open", "an open zone or instance template of the content")
	bots := fs.Int("bots", 5, "simulated players (they roam and fight)")
	botAt := fs.String("at", "", "x,y: where the bots roam (default the entry or the map's centre)")
	radius := fs.Float64("radius", 40, "how far from there the bots roam, metres")
	npcs := fs.Int("npcs", 200, "NPCs an open zone spreads (-1: the content's count)")
	ticks := fs.Int("ticks", 1200, "ticks to run (20 a second of game time)")
	seed := fs.Uint64("seed", 1, "the world's seed")
	realtime := fs.Bool("realtime", false, "tick at 20 Hz rather than as fast as the machine allows")
	watch := fs.Bool("watch", false, "reload the content when its files change (implies --realtime, runs until Ctrl-C)")
	if err := parse(fs, args); err != nil {
		return err
	}
	set, err := loadContent(*dir)
	if err != nil {
		return err
	}
	var bx, by float64
	if *botAt != "" {
		if _, err := fmt.Sscanf(strings.ReplaceAll(*botAt, ",", " "), "%g %g", &bx, &by); err != nil {
			return fmt.Errorf("%w: --at %q: want x,y", errUsage, *botAt)
		}
	}
	log := func(s string) { fmt.Fprintln(stdout, s) }
	p, err := script.NewPlay(script.PlayConfig{Content: set, Zone: *zoneName, Seed: *seed, Bots: *bots, BotRadius: float32(*radius),
		BotX: float32(bx), BotY: float32(by), NPCs: *npcs, Log: log, Deaths: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "playing %s of %s (version %s): %d bots, %d entities\n", *zoneName, set.Dir, set.Version, len(p.Bots), p.Zone.Entities())
	ctx, cancel := untilSignal()
	defer cancel()
	if *watch {
		*realtime = true
		*ticks = 1 << 62
		err := content.Watch(ctx, nil, *dir, 100*time.Millisecond, func(s *content.Set, err error) {
			if err != nil {
				fmt.Fprintf(stdout, "reload refused, the running content stays:\n%v\n", err)
				return
			}
			if err := p.Engine.Reload(s); err != nil {
				fmt.Fprintf(stdout, "reload refused, the running content stays: %v\n", err)
			}
		})
		if err != nil {
			return err
		}
	}
	next := time.Now()
	for i := 0; i < *ticks && ctx.Err() == nil; i++ {
		p.Step()
		if *realtime {
			next = next.Add(50 * time.Millisecond)
			time.Sleep(time.Until(next))
		}
	}
	p.Summary(stdout)
	return nil
}
