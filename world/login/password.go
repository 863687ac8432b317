package login

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// Bounds of Params, checked when a hash is made and when a stored one is
// read: a bad record or config cannot make one login take a machine's
// memory or a minute.
const (
	MinHashMemory  = 8         // KiB: argon2's own minimum
	MaxHashMemory  = 256 << 10 // KiB: 256 MiB per hash
	MaxHashTime    = 16        // passes
	MaxHashThreads = 16
	maxKeyLen      = 64 // bytes of a stored key
)

// ErrParams is wrapped by the error for parameters out of bounds.
var ErrParams = errors.New("argon2id parameters out of bounds")

// Validate reports parameters outside the bounds above, naming the field.
func (p Params) Validate() error {
	switch {
	case p.Memory < MinHashMemory || p.Memory > MaxHashMemory:
		return fmt.Errorf("%w: Memory %d KiB is outside %d..%d", ErrParams, p.Memory, MinHashMemory, MaxHashMemory)
	case p.Time < 1 || p.Time > MaxHashTime:
		return fmt.Errorf("%w: Time %d is outside 1..%d", ErrParams, p.Time, MaxHashTime)
	case p.Threads < 1 || p.Threads > MaxHashThreads:
		return fmt.Errorf("%w: Threads %d is outside 1..%d", ErrParams, p.Threads, MaxHashThreads)
	}
	return nil
}

// OWASP is the minimum OWASP recommends for argon2id: 19 MiB, 2 passes,
// 1 thread.
var OWASP = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

var b64 = base64.RawStdEncoding

// HashPassword returns a PHC string: $argon2id$v=19$m=..,t=..,p=..$salt$hash.
func HashPassword(password string, p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// errBadHash is returned for a stored hash that does not parse.
var errBadHash = errors.New("stored password hash does not parse")

// CheckPassword reports whether password matches a PHC string, comparing in
// constant time.
func CheckPassword(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, errBadHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, errBadHash
	}
	if p.Validate() != nil {
		return false, errBadHash // bounds, so that a bad record cannot make a login take forever
	}
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > maxKeyLen {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
