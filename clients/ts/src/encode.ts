// Encoders for everything a player's client sends: the Input datagram and
// the messages of the reliable stream (ClientMessage). Each returns the
// finished bytes, ready to send.

import * as flatbuffers from 'flatbuffers';

import { ChatSend } from '../gen/gridrealm/wire/chat-send';
import { ClientBody } from '../gen/gridrealm/wire/client-body';
import { ClientMessage } from '../gen/gridrealm/wire/client-message';
import { Connect } from '../gen/gridrealm/wire/connect';
import { Input } from '../gen/gridrealm/wire/input';
import { ItemDrop } from '../gen/gridrealm/wire/item-drop';
import { ItemUse } from '../gen/gridrealm/wire/item-use';
import { LoginRequest } from '../gen/gridrealm/wire/login-request';
import { Logout } from '../gen/gridrealm/wire/logout';
import { RealmListRequest } from '../gen/gridrealm/wire/realm-list-request';
import { RegisterRequest } from '../gen/gridrealm/wire/register-request';
import { TradeAnswer } from '../gen/gridrealm/wire/trade-answer';
import { TradeOffer } from '../gen/gridrealm/wire/trade-offer';
import { WhoIs } from '../gen/gridrealm/wire/who-is';

// The most entities one WhoIs may ask about (codec.MaxWhoIs): a longer
// question does not decode, and the gateway closes the connection.
export const MaxWhoIs = 64;

// The client's protocol version, sent with a login or a registration.
export const ClientVersion = 1;

export interface InputFields {
  seq: number; // increasing
  ack: number; // World.latest()
  clientTimeMs: number;
  x: number; // claimed position, 1/256 m (int32)
  y: number;
  heading: number; // 0..255, a full turn
  moveX: number; // -127..127
  moveY: number;
  actions: number; // game-defined bits
}

export function encodeInput(i: InputFields): Uint8Array {
  const b = new flatbuffers.Builder(64);
  Input.finishInputBuffer(b, Input.createInput(b, i.seq, i.ack, i.clientTimeMs, i.x, i.y, i.heading, i.moveX, i.moveY, i.actions));
  return b.asUint8Array();
}

function message(b: flatbuffers.Builder, type: ClientBody, body: flatbuffers.Offset): Uint8Array {
  ClientMessage.finishClientMessageBuffer(b, ClientMessage.createClientMessage(b, type, body));
  return b.asUint8Array();
}

// encodeLogin: a login. ticket is the last LoginQueued.ticket of this
// login when its login node stopped answering in a full realm's line: the
// next login node keeps the player's place.
export function encodeLogin(account: string, password: string, realm: string, ticket?: Uint8Array): Uint8Array {
  const b = new flatbuffers.Builder(128);
  const t = ticket && ticket.length > 0 ? LoginRequest.createTicketVector(b, ticket) : 0;
  const body = LoginRequest.createLoginRequest(b, b.createString(account), b.createString(password), b.createString(realm), ClientVersion, t);
  return message(b, ClientBody.LoginRequest, body);
}

export function encodeRegister(account: string, password: string): Uint8Array {
  const b = new flatbuffers.Builder(128);
  const body = RegisterRequest.createRegisterRequest(b, b.createString(account), b.createString(password), ClientVersion);
  return message(b, ClientBody.RegisterRequest, body);
}

export function encodeRealmListRequest(): Uint8Array {
  const b = new flatbuffers.Builder(32);
  return message(b, ClientBody.RealmListRequest, RealmListRequest.createRealmListRequest(b));
}

// encodeConnect presents a session handle (or, with resume, the resume
// token from Welcome) to a gateway; redirects counts the gateways that
// redirected this attempt; lastEvent is the highest Chat or SystemMessage
// seq seen (with resume); realm names the session's realm.
export function encodeConnect(handle: Uint8Array, redirects: number, resume: boolean, lastEvent: bigint, realm: string): Uint8Array {
  const b = new flatbuffers.Builder(128);
  const h = Connect.createSessionHandleVector(b, handle);
  const r = realm ? b.createString(realm) : 0;
  const body = Connect.createConnect(b, h, BigInt(0), redirects, resume, lastEvent, r);
  return message(b, ClientBody.Connect, body);
}

// Chat channels: 0 say, 1 zone, 2 whisper (to names the player).
export function encodeChat(channel: number, to: string, text: string): Uint8Array {
  const b = new flatbuffers.Builder(128);
  const body = ChatSend.createChatSend(b, channel, to ? b.createString(to) : 0, b.createString(text));
  return message(b, ClientBody.ChatSend, body);
}

export function encodeLogout(): Uint8Array {
  const b = new flatbuffers.Builder(32);
  return message(b, ClientBody.Logout, Logout.createLogout(b));
}

// Items and trades: item ids are the Inventory's (uint64, as bigint).

// encodeItemUse uses an item the player owns (a usable item's effect; a
// consumed one is used up).
export function encodeItemUse(item: bigint): Uint8Array {
  const b = new flatbuffers.Builder(32);
  return message(b, ClientBody.ItemUse, ItemUse.createItemUse(b, item));
}

// encodeItemDrop destroys an item the player owns.
export function encodeItemDrop(item: bigint): Uint8Array {
  const b = new flatbuffers.Builder(32);
  return message(b, ClientBody.ItemDrop, ItemDrop.createItemDrop(b, item));
}

// encodeTradeOffer offers the player named `to` (in the same zone) the
// items `give` for its items `want` (either may be empty, not both; at
// most 16 each).
export function encodeTradeOffer(to: string, give: bigint[], want: bigint[]): Uint8Array {
  const b = new flatbuffers.Builder(128);
  const t = b.createString(to);
  const g = TradeOffer.createGiveVector(b, give);
  const w = TradeOffer.createWantVector(b, want);
  return message(b, ClientBody.TradeOffer, TradeOffer.createTradeOffer(b, t, g, w));
}

// encodeTradeAnswer accepts or declines the offer `trade` (TradeOffered).
export function encodeTradeAnswer(trade: bigint, accept: boolean): Uint8Array {
  const b = new flatbuffers.Builder(32);
  return message(b, ClientBody.TradeAnswer, TradeAnswer.createTradeAnswer(b, trade, accept));
}

// encodeWhoIs asks the player's zone who entities it is shown are (ids
// from snapshots, at most MaxWhoIs: send more in several). The zone
// answers Names (a ServerMessage) for those the player can see; a Welcome
// makes every id name another entity, or none.
export function encodeWhoIs(ids: number[]): Uint8Array {
  if (ids.length > MaxWhoIs) {
    throw new RangeError(`WhoIs: ${ids.length} ids, at most ${MaxWhoIs} a message`);
  }
  const b = new flatbuffers.Builder(16 + 4 * ids.length);
  const v = WhoIs.createIdsVector(b, ids);
  return message(b, ClientBody.WhoIs, WhoIs.createWhoIs(b, v));
}
