// Package password hashes and checks the passwords people choose: argon2id (memory-hard)
// in the PHC string format, a minimum length, a list of passwords too common to allow, and
// zxcvbn's estimate of how many guesses a password takes (its model knows the 10,000 most
// common passwords of published breaches, names, words, keyboard walks, dates and
// repeats). No composition rules: length beats rules, and rules lock people out.
package password

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/apoportal/apoportal/data"
	"github.com/ccojocar/zxcvbn-go"
	"golang.org/x/crypto/argon2"
)

// MinLength is the shortest password we accept, in characters.
const MinLength = 10

// minScore is zxcvbn's score a password must reach: 3 is "safely unguessable", about 10^8
// guesses, which a slow hash and a throttle of online guesses put out of reach.
const minScore = 3

// estimatedRunes bounds the part of a password zxcvbn looks at: its matching grows with the
// square of the length, and a password longer than this is not short of guesses.
const estimatedRunes = 64

// Parameters: OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane).
const (
	memoryKiB = 19 * 1024
	passes    = 2
	lanes     = 1
	keyLen    = 32
	saltLen   = 16
)

//go:embed common.txt
var commonList string // German and international passwords zxcvbn's English model misses

// common is the set of disallowed passwords, lower case. It is read once and never changed.
var common = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(commonList))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
			m[strings.ToLower(w)] = true
		}
	}
	return m
}()

// What Check finds wrong, as errors on field "password" that callers compare with
// errors.Is to say it in their language.
var (
	ErrInvalid   = &data.Error{Code: data.EINVALID, Field: "password", Message: "is not valid text"}
	ErrTooShort  = &data.Error{Code: data.EINVALID, Field: "password", Message: fmt.Sprintf("must have at least %d characters", MinLength)}
	ErrTooLong   = &data.Error{Code: data.EINVALID, Field: "password", Message: "must have at most 256 characters"}
	ErrCommon    = &data.Error{Code: data.EINVALID, Field: "password", Message: "is one of the most common passwords; please choose another"}
	ErrPersonal  = &data.Error{Code: data.EINVALID, Field: "password", Message: "must not be your login or your pharmacy's name"}
	ErrGuessable = &data.Error{Code: data.EINVALID, Field: "password", Message: "is too easy to guess (a common word, name, date or pattern); a few unrelated words are better"}
)

// Check says what is wrong with a new password; personal lists words (login, pharmacy
// name) it must not be.
func Check(pw string, personal ...string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return ErrInvalid
	case n < MinLength:
		return ErrTooShort
	case n > 256:
		return ErrTooLong
	case common[strings.ToLower(pw)]:
		return ErrCommon
	}
	var inputs []string
	for _, p := range personal {
		if p != "" && strings.EqualFold(strings.TrimSpace(pw), strings.TrimSpace(p)) {
			return ErrPersonal
		}
		inputs = append(inputs, strings.Fields(strings.ToLower(p))...)
	}
	if zxcvbn.PasswordStrength(string([]rune(pw)[:min(n, estimatedRunes)]), inputs).Score < minScore {
		return ErrGuessable
	}
	return nil
}

// Hash returns the PHC string of pw.
func Hash(pw string) string {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	key := argon2.IDKey([]byte(pw), salt, passes, memoryKiB, lanes, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memoryKiB, passes, lanes,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

// ErrMismatch is a wrong password.
var ErrMismatch = errors.New("password does not match")

// dummyHash makes a login with an unknown name cost as much as one with a wrong password,
// so timing does not tell which logins exist.
var dummyHash = sync.OnceValue(func() string { return Hash("not a real password, only for timing") })

// Matches reports whether pw matches the stored hash. Without one (an unknown login, an
// account never activated or disabled: usable false) it spends the time of a real check and
// says no, so timing does not tell the cases apart.
func Matches(hash string, usable bool, pw string) bool {
	if !usable {
		_ = Verify(dummyHash(), pw)
		return false
	}
	return Verify(hash, pw) == nil
}

// Verify checks pw against a PHC string made by Hash (with any parameters).
func Verify(encoded, pw string) error {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return errors.New("not an argon2id hash")
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return fmt.Errorf("argon2id parameters: %w", err)
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return fmt.Errorf("argon2id salt: %w", err)
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil {
		return fmt.Errorf("argon2id key: %w", err)
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}
