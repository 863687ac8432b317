package zone

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mlange-42/arche/generic"

	"github.com/gridrealm/gridrealm/ecs"
	"github.com/gridrealm/gridrealm/ecs/spatial"
	"github.com/gridrealm/gridrealm/systems"
)

// The live view: what an operator's console draws of a zone. While someone
// watches, every ViewEvery ticks the tick goroutine samples every entity
// (its network id, kind and position) into a JSON frame; the admin
// endpoint streams the newest frame to each watcher (server-sent events,
// the admin token required: positions are not public). Nobody watching,
// nothing is sampled.
//
//	GET /zone/view           a stream of frames (text/event-stream)
//	GET /zone/view?once=1    the newest frame
//	GET /zone/terrain        the map: size, tile size and blocked tiles

// ViewEvery is how many ticks apart the live view is sampled (4: five
// frames a second at 20 Hz).
const ViewEvery = 4

// watchFor is how long a watcher keeps the sampling on after its last read.
const watchFor = 2 * time.Second

// ViewFrame is one sample of the zone.
type ViewFrame struct {
	Zone     string       `json:"zone"`
	Tick     uint64       `json:"tick"`
	Width    float32      `json:"width"`
	Height   float32      `json:"height"`
	CellSize int          `json:"cell_size"`
	Players  int          `json:"players"`
	Portals  []ViewPortal `json:"portals"`
	// Entities are [net id, kind, x, y] (kind as wire.EntityKind: 1 player, 2 NPC, 3 object).
	Entities [][4]float64 `json:"entities"`
	// Names are the players' accounts by net id.
	Names map[uint32]string `json:"names"`
}

// ViewPortal is a portal's area and where it leads.
type ViewPortal struct {
	X0, Y0, X1, Y1 float32
	To             string `json:"to"`
}

type liveView struct {
	mu      sync.Mutex
	frame   []byte
	seq     uint64
	watched atomic.Int64 // unix ns until which someone watches
	filter  *generic.Filter3[systems.Position, systems.Replica, systems.Appearance]
	terrain atomic.Pointer[spatial.Terrain] // the world's, for HTTP readers
}

// sampleView is a Publish-phase system: a frame every ViewEvery ticks,
// while watched.
func (zn *Node) sampleView(w *ecs.World) {
	v := &zn.view
	if w.Time.Tick%ViewEvery != 0 || zn.clock.Now().UnixNano() > v.watched.Load() {
		return
	}
	if v.filter == nil {
		v.filter = generic.NewFilter3[systems.Position, systems.Replica, systems.Appearance]()
	}
	width, height := zn.zone.Terrain.Size()
	f := ViewFrame{Zone: zn.cfg.Zone.Name, Tick: w.Time.Tick, Width: width, Height: height, CellSize: zn.zone.Config().CellSize,
		Players: len(zn.players), Names: map[uint32]string{}}
	for _, p := range zn.cfg.Portals {
		f.Portals = append(f.Portals, ViewPortal{X0: p.X0, Y0: p.Y0, X1: p.X1, Y1: p.Y1, To: p.Zone})
	}
	q := v.filter.Query(&w.ECS)
	for q.Next() {
		pos, rep, app := q.Get()
		f.Entities = append(f.Entities, [4]float64{float64(rep.NetID), float64(app.Kind), float64(pos.X), float64(pos.Y)})
	}
	for _, p := range zn.players {
		if zn.rep.Has(p.entity) {
			f.Names[zn.rep.Get(p.entity).NetID] = p.name
		}
	}
	b, err := json.Marshal(f)
	if err != nil {
		return
	}
	v.mu.Lock()
	v.frame, v.seq = b, v.seq+1
	v.mu.Unlock()
}

// latest returns the newest frame and its number, and keeps the sampling on.
func (v *liveView) latest(now time.Time) ([]byte, uint64) {
	v.watched.Store(now.Add(watchFor).UnixNano())
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.frame, v.seq
}

// serveView streams frames as server-sent events, or answers one.
func (zn *Node) serveView(w http.ResponseWriter, req *http.Request) {
	if req.URL.Query().Get("once") != "" {
		// The first frame comes within ViewEvery ticks of the first look.
		for tries := 0; ; tries++ {
			frame, _ := zn.view.latest(zn.clock.Now())
			if frame != nil || tries == 40 {
				w.Header().Set("Content-Type", "application/json")
				if frame == nil {
					frame = []byte("null")
				}
				w.Write(frame)
				return
			}
			<-zn.clock.After(50 * time.Millisecond)
		}
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "no streaming here", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	var sent uint64
	for {
		if frame, seq := zn.view.latest(zn.clock.Now()); seq != sent && frame != nil {
			if _, err := fmt.Fprintf(w, "data: %s\n\n", frame); err != nil {
				return
			}
			flusher.Flush()
			sent = seq
		}
		select {
		case <-req.Context().Done():
			return
		case <-zn.done:
			return
		case <-zn.clock.After(50 * time.Millisecond):
		}
	}
}

// serveTerrain answers the zone's map: its size, its tile size and a
// bitset of the blocked tiles, row by row (base64).
func (zn *Node) serveTerrain(w http.ResponseWriter, _ *http.Request) {
	t := zn.view.terrain.Load()
	cols, rows := t.Tiles()
	bits := make([]byte, (cols*rows+7)/8)
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			if !t.WalkableTile(int16(x), int16(y)) {
				i := y*cols + x
				bits[i/8] |= 1 << (i % 8)
			}
		}
	}
	width, height := t.Size()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"width": width, "height": height, "tile": t.TileSize(), "cols": cols, "rows": rows,
		"blocked": base64.StdEncoding.EncodeToString(bits)})
}
