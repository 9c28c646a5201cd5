// Package data holds apoportal's domain: pharmacies, their participation in issuing digital
// vaccination certificates, opening hours, postcodes, and the error type shared by every
// layer. It depends on no other package of the project; the SQLite store, the importers
// and the demo generator live in its subpackages.
package data
