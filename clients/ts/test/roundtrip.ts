// The round-trip test of the TypeScript client kit, run by the Go test
// beside it (kit_test.go): it decodes the messages the Go encoders made
// and checks every field against Go's own reading of them, applies a run
// of snapshots to a World and checks the entities against Go's World, and
// encodes what a client sends for the Go decoders to check.
//
//   node roundtrip.js CASES.json OUT.json

import * as fs from 'fs';
import * as path from 'path';
import * as flatbuffers from 'flatbuffers';

import { Snapshot } from '../gen/gridrealm/wire/snapshot';
import { Names as NamesMsg } from '../gen/gridrealm/wire/names';
import { Spawn } from '../gen/gridrealm/wire/spawn';
import { World, NoBaselineError } from '../src/world';
import { Names, askNamesEvery, askAgainAfter } from '../src/names';
import * as enc from '../src/encode';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const wireDir = path.join(__dirname, '..', 'gen', 'gridrealm', 'wire');

// classOf loads a generated class by its schema name (RealmList lives in
// realm-list.js).
function classOf(name: string): any {
  const file = name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require(path.join(wireDir, file))[name];
}

const failures: string[] = [];
let compared = 0; // leaf values held against Go's


function same(want: Json, got: unknown): boolean {
  compared++;
  if (typeof got === 'bigint') {
    return String(got) === want;
  }
  if (got === null && want === '') {
    return true; // an absent string reads "" in Go
  }
  return got === want;
}

// check walks Go's reading of a table (want) and reads the same fields
// through the generated TypeScript accessors of obj.
function check(where: string, want: { [k: string]: Json }, obj: any): void {
  for (const [field, w] of Object.entries(want)) {
    const at = `${where}.${field}`;
    if (typeof obj[field] !== 'function') {
      failures.push(`${at}: no accessor in the TypeScript code`);
      continue;
    }
    if (Array.isArray(w)) {
      const n = obj[field + 'Length']();
      if (n !== w.length) {
        failures.push(`${at}: ${n} elements, Go reads ${w.length}`);
        continue;
      }
      w.forEach((e, i) => {
        const got = obj[field](i);
        if (e !== null && typeof e === 'object' && !Array.isArray(e)) {
          check(`${at}[${i}]`, e, got);
        } else if (!same(e, got)) {
          failures.push(`${at}[${i}]: ${String(got)}, Go reads ${String(e)}`);
        }
      });
    } else if (w !== null && typeof w === 'object' && '$union' in w) {
      const member = obj[field](new (classOf(w['$union'] as string))());
      check(`${at}<${w['$union']}>`, w['$value'] as { [k: string]: Json }, member);
    } else if (w !== null && typeof w === 'object') {
      const sub = obj[field]();
      if (sub === null) {
        failures.push(`${at}: absent, Go reads a table`);
      } else {
        check(at, w, sub);
      }
    } else if (w === null) {
      if (obj[field]() !== null) {
        failures.push(`${at}: present, Go reads it absent`);
      }
    } else {
      const got = obj[field]();
      if (!same(w, got)) {
        failures.push(`${at}: ${String(got)}, Go reads ${String(w)}`);
      }
    }
  }
}

interface Case {
  name: string;
  root: string;
  bytes: string; // base64
  want: { [k: string]: Json };
}

interface SnapshotStep {
  bytes: string;
  entities: { [k: string]: number }[] | null; // null: skipped for want of its baseline
  self: number; // Go's World.Self after it
}

function bytes(b64: string): flatbuffers.ByteBuffer {
  return new flatbuffers.ByteBuffer(new Uint8Array(Buffer.from(b64, 'base64')));
}

// namesMsg makes a Names message naming ids (as NPCs of template 1; id
// 0: the template, renamed "renamed").
function namesMsg(ids: number[]): NamesMsg {
  const b = new flatbuffers.Builder(64);
  const spawns = ids.map((id) => Spawn.createSpawn(b, id, 2, 1, b.createString(id === 0 ? 'renamed' : `npc ${id}`)));
  const v = NamesMsg.createEntitiesVector(b, spawns);
  NamesMsg.startNames(b);
  NamesMsg.addEntities(b, v);
  b.finish(NamesMsg.endNames(b));
  return NamesMsg.getRootAsNames(new flatbuffers.ByteBuffer(b.asUint8Array()));
}

// checkNames holds Names to the rules of the Go client's AskNames, over
// the world the snapshots left: whom it asks about, when, and again.
function checkNames(world: World): void {
  const shown = world.entities().map((e) => e.id).filter((id) => id !== world.self());
  const names = new Names();
  const first = names.unnamed(world, 0);
  if (shown.length === 0 || JSON.stringify(first) !== JSON.stringify(shown.slice(0, enc.MaxWhoIs))) {
    failures.push(`names: asked about ${JSON.stringify(first)}, want the shown entities but the player's own ${JSON.stringify(shown)}`);
    return;
  }
  if (names.unnamed(world, askNamesEvery / 2).length !== 0) {
    failures.push('names: asked again within askNamesEvery');
  }
  const took = names.take(namesMsg([first[0]]), 40);
  if (took.length !== 1 || took[0] !== 40 || names.named(first[0])?.name !== `npc ${first[0]}`) {
    failures.push(`names: told ${JSON.stringify(names.named(first[0]))}, took ${JSON.stringify(took)}`);
  }
  if (names.unnamed(world, askNamesEvery).length !== 0 && shown.length <= enc.MaxWhoIs) {
    failures.push('names: asked again about entities waiting for their answer');
  }
  const again = names.unnamed(world, askAgainAfter);
  if (JSON.stringify(again) !== JSON.stringify(first.slice(1))) {
    failures.push(`names: asked again ${JSON.stringify(again)} after askAgainAfter, want the unanswered ${JSON.stringify(first.slice(1))}`);
  }
  // A content reload renamed template 1: the name kept is renamed, and no
  // entity 0 is kept.
  if (names.take(namesMsg([0]), 50).length !== 0 || names.named(first[0])?.name !== 'renamed' || names.named(0) !== undefined) {
    failures.push(`names: after a rename of its template told ${JSON.stringify(names.named(first[0]))}, entity 0 ${JSON.stringify(names.named(0))}`);
  }
  names.welcome();
  if (names.unnamed(world, askAgainAfter + 1).length !== 0) {
    failures.push('names: asked again 1 ms after the last question');
  }
  if (names.named(first[0]) !== undefined || names.unnamed(world, askAgainAfter + askNamesEvery).length !== first.length) {
    failures.push('names: a Welcome did not forget them');
  }
}

function main(): void {
  const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  for (const c of cases.messages as Case[]) {
    const root = classOf(c.root);
    check(c.name, c.want, root['getRootAs' + c.root](bytes(c.bytes)));
  }
  const world = new World();
  let namesChecked = false;
  (cases.snapshots as SnapshotStep[]).forEach((step, i) => {
    try {
      world.apply(Snapshot.getRootAsSnapshot(bytes(step.bytes)));
      if (step.entities === null) {
        failures.push(`snapshot ${i}: applied, Go skips it for want of its baseline`);
        return;
      }
    } catch (e) {
      if (!(e instanceof NoBaselineError) || step.entities !== null) {
        failures.push(`snapshot ${i}: ${String(e)}`);
      }
      return;
    }
    const got = JSON.stringify(world.entities());
    const want = JSON.stringify(step.entities);
    if (got !== want) {
      failures.push(`snapshot ${i}: entities\n  ${got}\nGo's World:\n  ${want}`);
    }
    if (world.self() !== step.self) {
      failures.push(`snapshot ${i}: self ${world.self()}, Go's World ${step.self}`);
    }
    if (!namesChecked && world.entities().length >= 3) {
      checkNames(world);
      namesChecked = true;
    }
  });
  if (!namesChecked) {
    failures.push('names: no snapshot showed the player three entities to ask about');
  }
  const i = cases.input;
  const out: { [k: string]: string } = {
    Input: Buffer.from(enc.encodeInput(i)).toString('base64'),
    LoginRequest: Buffer.from(enc.encodeLogin('alice', 'correct horse', 'fortrax')).toString('base64'),
    LoginRequestTicket: Buffer.from(enc.encodeLogin('alice', 'correct horse', 'fortrax', new Uint8Array([1, 2, 3, 250]))).toString('base64'),
    RegisterRequest: Buffer.from(enc.encodeRegister('alice', 'correct horse')).toString('base64'),
    RealmListRequest: Buffer.from(enc.encodeRealmListRequest()).toString('base64'),
    Connect: Buffer.from(enc.encodeConnect(new Uint8Array(32).fill(7), 1, true, BigInt('9007199254740993'), 'fortrax')).toString('base64'),
    ChatSend: Buffer.from(enc.encodeChat(2, 'bob', 'hello, bob')).toString('base64'),
    Logout: Buffer.from(enc.encodeLogout()).toString('base64'),
    ItemUse: Buffer.from(enc.encodeItemUse(BigInt('9007199254740993'))).toString('base64'),
    ItemDrop: Buffer.from(enc.encodeItemDrop(BigInt(42))).toString('base64'),
    TradeOffer: Buffer.from(enc.encodeTradeOffer('bob', [BigInt(1), BigInt('18446744073709551615')], [BigInt(3)])).toString('base64'),
    TradeAnswer: Buffer.from(enc.encodeTradeAnswer(BigInt(77), true)).toString('base64'),
    WhoIs: Buffer.from(enc.encodeWhoIs([7, 70000, 4000000000])).toString('base64'),
  };
  fs.writeFileSync(process.argv[3], JSON.stringify(out));
  if (failures.length > 0) {
    console.error(failures.join('\n'));
    process.exit(1);
  }
  console.log(`ok: ${cases.messages.length} messages (${compared} values) and ${cases.snapshots.length} snapshots read as Go reads them`);
}

main();
