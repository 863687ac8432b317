// World is a client's view of the entities it sees, built from snapshot
// datagrams exactly as the Go client library's (net/client World) is:
//
//   - Snapshots are numbered (seq). An old or repeated one is ignored: the
//     newest wins.
//   - A snapshot with baseline 0 is full state; otherwise it is a delta
//     against the snapshot numbered baseline, which the client must still
//     hold (it keeps the last 64; the gateway keeps fewer), or the
//     snapshot is skipped (ErrNoBaseline) and the next full one repairs it.
//   - Positions are uint16 offsets in 1/256 m from the snapshot's origin
//     (whole metres): absolute = origin + offset / 256.
//   - A full-state snapshot names the player's own entity (self).
//   - Apply order: leaves, then enters (an entity entering again replaces
//     its entry; twice in one snapshot, the last wins), then moves, then
//     states. A move or state of an unknown id is ignored.
//
// Acknowledge Latest() in every input.

import { Snapshot } from '../gen/gridrealm/wire/snapshot';

export const PosSteps = 256;
// A baseline is at most 32 snapshots older than its delta (the protocol's
// bound, codec.SnapshotBaselines): 32 views hold every baseline that arrived.
const views = 32;

export interface Entity {
  id: number;
  x: number; // metres
  y: number;
  heading: number;
  health: number;
  anim: number;
  flags: number;
  kind: number;
  template: number;
  level: number;
}

export class NoBaselineError extends Error {}

interface View {
  seq: number;
  entities: Map<number, Entity>;
}

export class World {
  private history: (View | undefined)[] = new Array(views);
  private latestSeq = 0;
  private selfId = 0;

  latest(): number {
    return this.latestSeq;
  }

  // self is the player's own entity as the newest full-state snapshot
  // named it (0: none did). After a zone change the new zone's first
  // snapshot can come before the Welcome that names the new entity: take
  // the newer of the two.
  self(): number {
    return this.selfId;
  }

  apply(s: Snapshot): void {
    const seq = s.seq();
    if (seq <= this.latestSeq) {
      return;
    }
    let base = new Map<number, Entity>();
    const baseline = s.baseline();
    if (baseline !== 0) {
      const b = this.history[baseline % views];
      if (!b || b.seq !== baseline) {
        throw new NoBaselineError(`snapshot ${seq} wants ${baseline}`);
      }
      base = b.entities;
    }
    const next = new Map(base);
    const ox = s.originX(), oy = s.originY();
    for (let i = 0; i < s.leavesLength(); i++) {
      next.delete(s.leaves(i)!);
    }
    for (let i = 0; i < s.entersLength(); i++) {
      const e = s.enters(i)!;
      if (e.id() === 0) {
        continue;
      }
      next.set(e.id(), {
        id: e.id(), x: ox + e.x() / PosSteps, y: oy + e.y() / PosSteps, heading: e.heading(), health: e.health(),
        anim: e.anim(), flags: e.flags(), kind: e.kind(), template: e.template(), level: e.level(),
      });
    }
    for (let i = 0; i < s.movesLength(); i++) {
      const m = s.moves(i)!;
      const e = next.get(m.id());
      if (e) {
        next.set(e.id, { ...e, x: ox + m.x() / PosSteps, y: oy + m.y() / PosSteps });
      }
    }
    for (let i = 0; i < s.statesLength(); i++) {
      const st = s.states(i)!;
      const e = next.get(st.id());
      if (e) {
        next.set(e.id, { ...e, heading: st.heading(), health: st.health(), anim: st.anim(), flags: st.flags() });
      }
    }
    // Entities are copied on write: a stored view never changes.
    this.history[seq % views] = { seq, entities: next };
    this.latestSeq = seq;
    if (baseline === 0 && s.self() !== 0) {
      this.selfId = s.self();
    }
  }

  // entities returns the newest view's entities in id order.
  entities(): Entity[] {
    const v = this.history[this.latestSeq % views];
    if (!v || v.seq !== this.latestSeq) {
      return [];
    }
    return [...v.entities.values()].sort((a, b) => a.id - b.id);
  }
}
