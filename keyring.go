package switchboard

// KeyringInfo is what the service knows of the keyring of key-encryption keys: their ids, for
// a status view. It never exposes key material. internal/seal's Keyring implements it.
type KeyringInfo interface {
	// ActiveID returns the id of the active key (the one new data keys are wrapped by).
	ActiveID() string
	// IDs returns the ids of the keyring, oldest first.
	IDs() []string
}

// KeyringStatus is the state of the keyring against the database: the active key, how many
// workspace data keys (rows) of the caller's tenant each key wraps, and how far a re-wrap of
// those to the active key has come.
type KeyringStatus struct {
	ActiveKeyID string
	// Keys lists the keys of the keyring, oldest first, then the ids that wrap data keys but
	// are not in the keyring (InKeyring false: those data keys cannot be opened here).
	Keys   []KeyringKey
	Rewrap RewrapProgress
}

// KeyringKey is one key id with the number of data keys it wraps.
type KeyringKey struct {
	ID        string
	Rows      int
	Active    bool
	InKeyring bool
}

// RewrapProgress says how many data keys are wrapped by the active key (Done) out of all
// (Total); Remaining are still wrapped by an older key until `switchboard keys rotate` (or a
// resumed re-wrap) reaches them.
type RewrapProgress struct {
	Total     int
	Done      int
	Remaining int
	Complete  bool
}
