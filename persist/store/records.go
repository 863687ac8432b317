package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// formatVersion is written first in every record; a record with another
// version does not decode (and the integrity check reports it).
const formatVersion = 1

// Key prefixes. Keys are a one-byte prefix and big-endian ids, so that
// records sort by id and the owner index groups a character's items.
const (
	prefixCharacter = 'c' // c + id            -> Character
	prefixItem      = 'i' // i + id            -> Item
	prefixOwned     = 'o' // o + owner + item  -> (empty): items by owner
	prefixName      = 'n' // n + name          -> character id
	prefixMeta      = 'm' // m + name          -> store metadata
)

var (
	seqCharacter = []byte("m/seq/character")
	seqItem      = []byte("m/seq/item")
)

// Character is a player character.
type Character struct {
	ID      uint64  `json:"id"`
	Account string  `json:"account"`
	Name    string  `json:"name"`
	Zone    string  `json:"zone"`
	X       float32 `json:"x"`
	Y       float32 `json:"y"`
	Level   uint16  `json:"level"`
	Health  int32   `json:"health"`
	// Epoch is the fencing token of the zone that last claimed it.
	Epoch uint64 `json:"epoch"`
	// PartyLeader and PartyJoined are its place in its party as last saved
	// (its leader's character and when it joined; 0: in none).
	PartyLeader uint64 `json:"party_leader,omitempty"`
	PartyJoined uint64 `json:"party_joined,omitempty"`
}

// Item is a stack of one item template owned by a character.
type Item struct {
	ID       uint64 `json:"id"`
	Template uint32 `json:"template"`
	Owner    uint64 `json:"owner"`
	Count    uint32 `json:"count"`
	// Destroyed marks a tombstone: the item is gone, its record stays.
	Destroyed bool `json:"destroyed,omitempty"`
}

// errBadRecord is wrapped by every record decoding error.
var errBadRecord = errors.New("bad record")

func characterKey(id uint64) []byte { return idKey(prefixCharacter, id) }
func itemKey(id uint64) []byte      { return idKey(prefixItem, id) }

func idKey(prefix byte, id uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefix
	binary.BigEndian.PutUint64(k[1:], id)
	return k
}

func ownedKey(owner, item uint64) []byte {
	k := make([]byte, 17)
	k[0] = prefixOwned
	binary.BigEndian.PutUint64(k[1:], owner)
	binary.BigEndian.PutUint64(k[9:], item)
	return k
}

func nameKey(name string) []byte { return append([]byte{prefixName}, name...) }

func (c *Character) encode() []byte {
	b := make([]byte, 0, 40+len(c.Account)+len(c.Name)+len(c.Zone))
	b = append(b, formatVersion)
	b = binary.LittleEndian.AppendUint64(b, c.ID)
	b = binary.LittleEndian.AppendUint64(b, c.Epoch)
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(c.X))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(c.Y))
	b = binary.LittleEndian.AppendUint16(b, c.Level)
	b = binary.LittleEndian.AppendUint32(b, uint32(c.Health))
	for _, s := range []string{c.Account, c.Name, c.Zone} {
		b = append(b, byte(len(s)))
		b = append(b, s...)
	}
	// The party place, an optional tail: a character in no party is
	// written as before it existed, and a record without it reads as in
	// none.
	if c.PartyLeader != 0 || c.PartyJoined != 0 {
		b = binary.LittleEndian.AppendUint64(b, c.PartyLeader)
		b = binary.LittleEndian.AppendUint64(b, c.PartyJoined)
	}
	return b
}

// partyTail is the size of a character record's party place.
const partyTail = 16

func decodeCharacter(b []byte) (Character, error) {
	var c Character
	if len(b) < 31 || b[0] != formatVersion {
		return c, fmt.Errorf("%w: character of %d bytes, version %d", errBadRecord, len(b), first(b))
	}
	c.ID = binary.LittleEndian.Uint64(b[1:])
	c.Epoch = binary.LittleEndian.Uint64(b[9:])
	c.X = math.Float32frombits(binary.LittleEndian.Uint32(b[17:]))
	c.Y = math.Float32frombits(binary.LittleEndian.Uint32(b[21:]))
	c.Level = binary.LittleEndian.Uint16(b[25:])
	c.Health = int32(binary.LittleEndian.Uint32(b[27:]))
	rest := b[31:]
	var strs [3]string
	for i := range strs {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return c, fmt.Errorf("%w: character %d: truncated string", errBadRecord, c.ID)
		}
		strs[i], rest = string(rest[1:1+rest[0]]), rest[1+rest[0]:]
	}
	if len(rest) == partyTail {
		c.PartyLeader, c.PartyJoined = binary.LittleEndian.Uint64(rest), binary.LittleEndian.Uint64(rest[8:])
		rest = rest[partyTail:]
	}
	if len(rest) != 0 {
		return c, fmt.Errorf("%w: character %d: %d trailing bytes", errBadRecord, c.ID, len(rest))
	}
	c.Account, c.Name, c.Zone = strs[0], strs[1], strs[2]
	return c, nil
}

const itemSize = 1 + 8 + 4 + 8 + 4 + 1

func (it *Item) encode() []byte {
	b := make([]byte, 0, itemSize)
	b = append(b, formatVersion)
	b = binary.LittleEndian.AppendUint64(b, it.ID)
	b = binary.LittleEndian.AppendUint32(b, it.Template)
	b = binary.LittleEndian.AppendUint64(b, it.Owner)
	b = binary.LittleEndian.AppendUint32(b, it.Count)
	var d byte
	if it.Destroyed {
		d = 1
	}
	return append(b, d)
}

func decodeItem(b []byte) (Item, error) {
	if len(b) != itemSize || b[0] != formatVersion || b[itemSize-1] > 1 {
		return Item{}, fmt.Errorf("%w: item of %d bytes, version %d", errBadRecord, len(b), first(b))
	}
	return Item{
		ID:        binary.LittleEndian.Uint64(b[1:]),
		Template:  binary.LittleEndian.Uint32(b[9:]),
		Owner:     binary.LittleEndian.Uint64(b[13:]),
		Count:     binary.LittleEndian.Uint32(b[21:]),
		Destroyed: b[25] == 1,
	}, nil
}

func first(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}

// validName reports whether a character or account name is acceptable.
func validName(s string) bool { return ValidName(s) }

// ValidName reports whether s may name an account or a character: 1..64
// bytes, no control characters.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}
