package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	neturl "net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrForbiddenAddress is a webhook whose host is on a private, loopback, link-local or
// otherwise internal address: refused unless the operator allows them.
var ErrForbiddenAddress = errors.New("webhook address is internal")

// Sign is the Standard Webhooks signature of a message: "v1," and the base64 HMAC-SHA256
// of "id.timestamp.body" under the secret ("whsec_" and its base64 key).
func Sign(secret, id string, timestamp time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return "", fmt.Errorf("webhook secret is not whsec_ and base64")
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, timestamp.Unix())
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// internal reports whether an address is one a webhook must not reach from the portal:
// loopback, private (RFC 1918, fc00::/7), link-local, carrier-grade NAT, unspecified,
// multicast, this network, the special-purpose ranges (benchmarking, IETF, reserved,
// deprecated site-local), and the IPv4 address inside a NAT64, 6to4 or Teredo address.
func internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range specialPurpose {
		if p.Contains(ip) {
			return true
		}
	}
	if embedded, ok := embeddedIPv4(ip); ok {
		return internal(embedded)
	}
	return false
}

var specialPurpose = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("240.0.0.0/4"), netip.MustParsePrefix("fec0::/10"),
}

// embeddedIPv4 is the IPv4 address an IPv6 address carries to: NAT64 (64:ff9b::/96 and
// 64:ff9b:1::/48, the last 32 bits), 6to4 (2002::/16, bits 16–47), Teredo (2001::/32, the
// client's address inverted in the last 32 bits; any Teredo address is refused).
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case netip.MustParsePrefix("64:ff9b::/96").Contains(ip) || netip.MustParsePrefix("64:ff9b:1::/48").Contains(ip):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case netip.MustParsePrefix("2002::/16").Contains(ip):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	case netip.MustParsePrefix("2001::/32").Contains(ip):
		return netip.Addr{}, true // an invalid address: internal
	}
	return netip.Addr{}, false
}

// CheckHost refuses, before a subscription is kept, a host that is itself an internal
// address or "localhost"; names are judged again at every connection (their addresses may
// change).
func CheckHost(host string, allowInternal bool) error {
	if allowInternal {
		return nil
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return ErrForbiddenAddress
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil && internal(ip) {
		return ErrForbiddenAddress
	}
	return nil
}

// newClient is the webhooks' HTTP client: 10 s for the whole exchange, no redirect
// followed (a 3xx is a failure), no proxy, and no connection to an internal address unless
// allowed, checked on the address actually dialled, so a name cannot resolve its way in.
func newClient(timeout time.Duration, allowInternal bool) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
		}
		if !allowInternal && internal(ap.Addr()) {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
		}
		return nil
	}}
	transport := &http.Transport{
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
	}
	return &http.Client{Timeout: timeout, Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// post sends one signed message and says what went wrong, if anything: any answer but 2xx.
func post(ctx context.Context, client *http.Client, url, secret, id string, at time.Time, body []byte) error {
	sig, err := Sign(secret, id, at, body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "apoportal-webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	res, err := client.Do(req)
	if err != nil {
		var u *neturl.Error
		if errors.As(err, &u) {
			err = u.Err // its text holds the whole URL, and URLs of webhooks are often secrets
		}
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // so that the connection is kept
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("answered %d", res.StatusCode)
	}
	return nil
}
