package ecs

import (
	"fmt"
	"time"
)

// Phase is a stage of a tick. The phases run in this order, every tick:
//
//	input → simulation → spatial → replication → persistence → publish
//
// (DESIGN.md §3). Within a phase, systems run in the order they were added.
type Phase uint8

// The phases of a tick.
const (
	PhaseInput Phase = iota
	PhaseSimulation
	PhaseSpatial
	PhaseReplication
	PhasePersistence
	PhasePublish
	numPhases
)

var phaseNames = [numPhases]string{"input", "simulation", "spatial", "replication", "persistence", "publish"}

func (p Phase) String() string {
	if p < numPhases {
		return phaseNames[p]
	}
	return fmt.Sprintf("phase(%d)", p)
}

// System is one step of a tick's work.
type System interface {
	Run(w *World)
}

// SystemFunc adapts a function to System.
type SystemFunc func(w *World)

// Run calls f.
func (f SystemFunc) Run(w *World) { f(w) }

// SystemTiming is how long a system took.
type SystemTiming struct {
	Name  string
	Phase Phase
	Last  time.Duration // the last tick
	Total time.Duration // all ticks
}

type scheduled struct {
	SystemTiming
	sys System
}

// Schedule is the fixed pipeline of systems a world runs each tick.
type Schedule struct {
	clock   Clock
	systems []scheduled // sorted by phase, stable
}

// NewSchedule returns an empty schedule that times systems with clock
// (the real clock when nil).
func NewSchedule(clock Clock) *Schedule {
	if clock == nil {
		clock = RealClock{}
	}
	return &Schedule{clock: clock}
}

// Add appends a named system to a phase. Panics on an unknown phase or a
// duplicate name (programmer misuse).
func (s *Schedule) Add(phase Phase, name string, sys System) {
	if phase >= numPhases {
		panic(fmt.Sprintf("ecs: system %q in unknown %v", name, phase))
	}
	for _, e := range s.systems {
		if e.Name == name {
			panic(fmt.Sprintf("ecs: system %q added twice", name))
		}
	}
	at := len(s.systems)
	for at > 0 && s.systems[at-1].Phase > phase {
		at--
	}
	s.systems = append(s.systems, scheduled{})
	copy(s.systems[at+1:], s.systems[at:])
	s.systems[at] = scheduled{SystemTiming: SystemTiming{Name: name, Phase: phase}, sys: sys}
}

// Prepend adds a named system at the start of a phase, ahead of the
// systems already there: for what feeds them, such as a node's inbox,
// which must be applied before the input systems read it in the same tick.
func (s *Schedule) Prepend(phase Phase, name string, sys System) {
	s.Add(phase, name, sys)
	at := 0
	for at < len(s.systems) && s.systems[at].Phase < phase {
		at++
	}
	last := len(s.systems) - 1
	for i := range s.systems {
		if s.systems[i].Name == name {
			last = i
			break
		}
	}
	e := s.systems[last]
	copy(s.systems[at+1:last+1], s.systems[at:last])
	s.systems[at] = e
}

// Run runs every system once, in phase order, timing each.
func (s *Schedule) Run(w *World) {
	for i := range s.systems {
		e := &s.systems[i]
		start := s.clock.Now()
		e.sys.Run(w)
		e.Last = s.clock.Now().Sub(start)
		e.Total += e.Last
	}
}

// RunOnly runs the systems for which keep is true, in order: for tools that
// time one system inside real ticks.
func (s *Schedule) RunOnly(w *World, keep func(name string) bool) {
	for i := range s.systems {
		if keep(s.systems[i].Name) {
			s.systems[i].sys.Run(w)
		}
	}
}

// Names returns the systems' names in run order.
func (s *Schedule) Names() []string {
	out := make([]string, len(s.systems))
	for i, e := range s.systems {
		out[i] = e.Name
	}
	return out
}

// Timings returns each system's timing, in run order.
func (s *Schedule) Timings() []SystemTiming {
	return s.AppendTimings(make([]SystemTiming, 0, len(s.systems)))
}

// AppendTimings appends every system's timing to dst, in schedule order,
// and returns it: with a dst of room enough, it does not allocate (a bench
// reads it every tick).
func (s *Schedule) AppendTimings(dst []SystemTiming) []SystemTiming {
	for _, e := range s.systems {
		dst = append(dst, e.SystemTiming)
	}
	return dst
}
