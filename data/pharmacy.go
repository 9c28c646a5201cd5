package data

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Service is an extra a pharmacy offers besides dispensing.
type Service string

// The services the registry knows.
const (
	ServiceRapidTest   Service = "schnelltest"
	ServiceDelivery    Service = "botendienst"
	ServiceVaccination Service = "impfung"
	ServiceEmergency   Service = "notdienst"
)

// Services lists every known service in display order.
var Services = []Service{ServiceRapidTest, ServiceDelivery, ServiceVaccination, ServiceEmergency}

// ParseService returns the service named s, or an error naming the unknown value.
func ParseService(s string) (Service, error) {
	for _, v := range Services {
		if string(v) == s {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown service %q (known: schnelltest, botendienst, impfung, notdienst)", s)
}

// Label is the German name of the service shown to citizens.
func (s Service) Label() string {
	switch s {
	case ServiceRapidTest:
		return "Schnelltest"
	case ServiceDelivery:
		return "Botendienst"
	case ServiceVaccination:
		return "Impfung"
	case ServiceEmergency:
		return "Notdienst"
	}
	return string(s)
}

// JoinServices is the stored form of a list of services.
func JoinServices(s []Service) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = string(v)
	}
	return strings.Join(parts, ";")
}

// SplitServices reads the stored form of a list of services.
func SplitServices(s string) []Service {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ";")
	out := make([]Service, len(parts))
	for i, p := range parts {
		out[i] = Service(p)
	}
	return out
}

// Source says where a pharmacy's entry came from.
type Source string

// Sources of pharmacy entries.
const (
	SourceRegistry Source = "registry"
	SourceOSM      Source = "osm"
	SourceDemo     Source = "demo"
)

// Pharmacy is one entry of the registry with its participation in issuing certificates.
type Pharmacy struct {
	ID            string
	Name          string
	Street        string
	HouseNumber   string
	Postcode      string
	City          string
	State         string
	Lat, Lon      float64
	Phone         string
	Email         string
	Website       string
	OpeningHours  string
	Services      []Service
	Source        Source
	Participation Participation
}

// Offers reports whether the pharmacy offers service s.
func (p *Pharmacy) Offers(s Service) bool {
	for _, v := range p.Services {
		if v == s {
			return true
		}
	}
	return false
}

// Address is the one-line postal address.
func (p *Pharmacy) Address() string {
	street := strings.TrimSpace(p.Street + " " + p.HouseNumber)
	town := strings.TrimSpace(p.Postcode + " " + p.City)
	switch {
	case street == "":
		return town
	case town == "":
		return street
	}
	return street + ", " + town
}

// CertificateStatus is what citizens are told about a pharmacy issuing certificates.
type CertificateStatus string

// Certificate statuses of the public API.
const (
	CertificatesActive   CertificateStatus = "active"
	CertificatesPaused   CertificateStatus = "paused"
	CertificatesInactive CertificateStatus = "inactive"
	// CertificatesUnconfirmed is "active" that its pharmacy has not confirmed within the
	// portal's maximum age: we do not claim what we do not know.
	CertificatesUnconfirmed CertificateStatus = "unconfirmed"
)

// Participation is a pharmacy's own switch "we issue certificates", stored apart from the
// registry entry so that nothing but its owner changes it.
type Participation struct {
	Participating bool
	Note          string
	PausedUntil   *time.Time
	ConfirmedAt   *time.Time
}

// Audited is the audit log's form of a participation (its "old" and "new").
func (p Participation) Audited() string {
	v := map[string]any{"participating": p.Participating, "note": p.Note, "paused_until": nil}
	if p.PausedUntil != nil {
		v["paused_until"] = p.PausedUntil.UTC().Format(time.RFC3339)
	}
	b, _ := json.Marshal(v) // a map of plain values always marshals
	return string(b)
}

// Status is the participation as of now: a pause that has passed has ended by itself, and
// with maxAge > 0 an "active" not confirmed within maxAge is "unconfirmed".
func (p Participation) Status(now time.Time, maxAge time.Duration) CertificateStatus {
	switch {
	case !p.Participating:
		return CertificatesInactive
	case p.PausedUntil != nil && now.Before(*p.PausedUntil):
		return CertificatesPaused
	case maxAge > 0 && (p.ConfirmedAt == nil || now.Sub(*p.ConfirmedAt) > maxAge):
		return CertificatesUnconfirmed
	}
	return CertificatesActive
}

// Issuing reports whether the pharmacy issues certificates right now, as far as we know.
func (p Participation) Issuing(now time.Time, maxAge time.Duration) bool {
	return p.Status(now, maxAge) == CertificatesActive
}
