package data

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
)

// HashSecret hashes a high-entropy secret (activation code, API token, session id) for
// storage. These are random, not chosen by people, so a fast hash suffices; passwords get a
// slow one.
func HashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// RandomBytes returns n bytes from the system's randomness.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails; it crashes the program if it cannot read
	return b
}

// NewActivationCode is 16 base32 characters (80 bits) in groups of four, easy to type.
func NewActivationCode() string {
	s := base32.StdEncoding.EncodeToString(RandomBytes(10))
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// NewAPIToken is a token a pharmacy's software sends as its bearer credential (256 bits).
func NewAPIToken() string {
	return "apo_" + base64.RawURLEncoding.EncodeToString(RandomBytes(32))
}

// NewSessionID is the value of a session cookie (256 bits).
func NewSessionID() string {
	return base64.RawURLEncoding.EncodeToString(RandomBytes(32))
}

// NewSecret is a store's shared secret in its stored form: 32 random bytes, base64.
func NewSecret() string {
	return base64.RawStdEncoding.EncodeToString(RandomBytes(32))
}

// DecodeSecret reads a stored secret; it fails when it is not 32 bytes or more.
func DecodeSecret(name, stored string) ([]byte, error) {
	b, err := base64.RawStdEncoding.DecodeString(stored)
	if err != nil || len(b) < 32 {
		return nil, Errorf(EINTERNAL, "secret %s is damaged", name)
	}
	return b, nil
}
