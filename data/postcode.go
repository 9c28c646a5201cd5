package data

// Postcode is one entry of the postcode gazetteer: a German PLZ with a place and its
// centroid. One PLZ can have several entries (several places, or companies and
// authorities with a PLZ of their own, marked Organisation).
type Postcode struct {
	Code         string
	Place        string
	State        string
	District     string
	Lat, Lon     float64
	Organisation bool
}
