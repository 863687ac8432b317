// Names keeps who the entities a player is shown are, as the Go client
// library's AskNames and Named do (net/client/names.go), with the same
// rules:
//
//   - A snapshot shows an entity by id, kind and template, never by name:
//     a client asks (encodeWhoIs) and the zone answers a Names message for
//     each asked entity the player can see.
//   - unnamed() says whom to ask about: the entities of the newest view it
//     has no name for, the player's own aside, at most MaxWhoIs, once every
//     askNamesEvery at most (four questions a second, within the gateway's
//     budget of ten requests a second that item uses and trades share), and
//     an entity asked about again only after askAgainAfter unanswered (the
//     zone does not name one that left the view meanwhile).
//   - A Welcome makes every id name another entity, or none: call welcome().
//   - An entry of id 0 names a template, not an entity: a content reload
//     renamed it, and take() renames every entity kept of its kind and
//     template (the zone tells every player in it, unasked).
//
//   const ids = names.unnamed(world, performance.now());
//   if (ids.length > 0) stream.send(encodeWhoIs(ids));
//   ...
//   if (m.bodyType() === ServerBody.Names) names.take(m.body(new NamesMsg()) as NamesMsg, performance.now());

import { Names as NamesMsg } from '../gen/gridrealm/wire/names';
import { MaxWhoIs } from './encode';
import { World } from './world';

export const askNamesEvery = 250; // ms
export const askAgainAfter = 2000; // ms

export interface Named {
  id: number;
  kind: number;
  template: number;
  name: string;
}

export class Names {
  private known = new Map<number, Named>();
  private asked = new Map<number, number>(); // id → when asked, ms
  private lastAsk = -Infinity;

  // named returns who an entity is, once the zone told it.
  named(id: number): Named | undefined {
    return this.known.get(id);
  }

  // welcome forgets every name: the new zone's (or incarnation's) ids name
  // other entities.
  welcome(): void {
    this.known.clear();
    this.asked.clear();
  }

  // unnamed returns the entities to ask about at now (ms), and notes them
  // asked; none when it asked less than askNamesEvery ago.
  unnamed(world: World, now: number): number[] {
    if (now - this.lastAsk < askNamesEvery) {
      return [];
    }
    for (const [id, at] of this.asked) {
      if (now - at >= askAgainAfter) {
        this.asked.delete(id); // unanswered: asked again while still shown
      }
    }
    const ids: number[] = [];
    for (const e of world.entities()) {
      if (ids.length === MaxWhoIs) {
        break;
      }
      if (e.id !== world.self() && !this.known.has(e.id) && !this.asked.has(e.id)) {
        ids.push(e.id);
      }
    }
    if (ids.length > 0) {
      this.lastAsk = now;
      for (const id of ids) {
        this.asked.set(id, now);
      }
    }
    return ids;
  }

  // take keeps the names a Names message tells, and returns how long each
  // that unnamed() asked about took, ms.
  take(m: NamesMsg, now: number): number[] {
    const took: number[] = [];
    for (let i = 0; i < m.entitiesLength(); i++) {
      const s = m.entities(i)!;
      if (s.id() === 0) {
        this.rename(s.kind(), s.template(), s.name() ?? '');
        continue;
      }
      this.known.set(s.id(), { id: s.id(), kind: s.kind(), template: s.template(), name: s.name() ?? '' });
      const at = this.asked.get(s.id());
      if (at !== undefined) {
        this.asked.delete(s.id());
        took.push(now - at);
      }
    }
    return took;
  }

  // rename gives every entity kept of a kind and template its new name.
  private rename(kind: number, template: number, name: string): void {
    for (const n of this.known.values()) {
      if (n.kind === kind && n.template === template) {
        n.name = name;
      }
    }
  }
}
