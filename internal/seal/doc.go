// Package seal encrypts secret values at rest: a keyring of key-encryption keys (KEKs) and
// envelope encryption with one data key (DEK) per workspace. [*Envelope] implements
// [switchboard.Sealer].
//
// # Keyring file
//
// A keyring is a text file (or environment value) with one key per line:
//
//	# comments and blank lines are allowed
//	k20261125T105200Z:3q2+7w...base64...AAAAAAAAAAAAA=
//	k20270301T090000Z:Zm9vYmFy...base64...AAAAAAAAAAAAA=
//
// Each key line is ID:BASE64, where ID matches ^[A-Za-z0-9_.-]{1,64}$ and BASE64 is the
// standard (padded) base64 encoding of exactly 32 random bytes, an AES-256 key. Ids are unique.
// Leading and trailing white space of a line is ignored. The LAST key in the file is the
// active one: new data keys are wrapped by it and [Envelope.Rewrap] moves older data keys to
// it. Older keys stay in the file until no data key is wrapped by them any more
// ([Envelope.Status] tells). [NewKeyID] makes ids that sort by creation time, but the order
// of the lines, not of the ids, decides which key is active.
//
// The file holds key material: [WriteKeyringFile] writes it with mode 0600, atomically (temp
// file, fsync, rename). Errors of [ParseKeyring] name line numbers and ids, never key bytes.
//
// # Envelope
//
// Each workspace has a data key: 32 random bytes, created on the first Seal for the workspace
// and stored (wrapped) through the [DataKeyStore] as a [switchboard.DataKey]. The wrapping is
// AES-256-GCM under the active KEK with additional data naming the workspace and the KEK id,
// so a wrapped key copied to another workspace, or relabelled with another KEK id, does not
// unwrap. A value is sealed with AES-256-GCM under the workspace's data key:
//
//	ciphertext = 0x01 (version) | nonce (12 bytes) | encrypted value | tag (16 bytes)
//
// The key id of a value is its workspace id: a workspace has exactly one data key, which never
// changes, so the id is not repeated in every value but bound into its additional data (a
// value read under another workspace's key fails to authenticate). The data key's record
// carries the id of the KEK that wraps it (data_keys.kek_id, also bound into the wrapping's
// additional data), so the chain from a stored value to a keyring line is
//
//	value (version, nonce, tag; AD = workspace, object, field) -> data key of the workspace
//	  -> record (kek_id, version | nonce | wrapped key | tag) -> keyring line kek_id:BASE64
//
// and a rotation re-wraps one record per workspace without rewriting any sealed column.
// Wrapped data keys and key check values use the same layout as values (version byte, 12-byte
// nonce, 16-byte tag) with their own domain labels in the additional data.
//
// with additional data binding it to "switchboard/v1", the workspace id, the object id and
// the field name. Every part of the additional data is length-prefixed (4 bytes, big endian)
// so that no two distinct (workspace, object, field) triples encode alike. A ciphertext that
// is opened under another workspace, object or field, or that has any byte changed, fails
// with an *switchboard.Error of CodeInternal and message key "seal.unreadable".
//
// Rotation never re-encrypts values: a data key does not change, only its wrapping. To rotate,
// add a key to the keyring ([Keyring.Add]), write the file ([WriteKeyringFile]) BEFORE
// anything is wrapped by the new key, then run [Envelope.Rewrap]. A rewrap that is stopped
// is resumed by running it again: it re-wraps only data keys not yet under the active key,
// each one with a compare-and-swap on its old KEK id.
//
// [Envelope.Verify] runs at start: it records a check value per KEK (an encryption of a
// constant under the KEK) and refuses a keyring whose keys do not match the recorded checks
// or that lacks a key some data key is wrapped by. It writes nothing when it fails.
//
// # Why the standard library
//
// The cipher is the standard library's AES-256-GCM built with
// [crypto/cipher.NewGCMWithRandomNonce] rather than tink-go: the keyring format (raw,
// id-tagged 32-byte keys in a file) is a product requirement that tink's keysets do not
// match, and the standard library keeps the module graph small. NewGCMWithRandomNonce
// generates every nonce itself from crypto/rand (96 random bits, prepended to the output), so
// no caller can pass a fixed or repeated nonce; it is the construction Go's FIPS 140-3 module
// approves for random nonces. Random 96-bit nonces limit a key to 2^32 messages; a data key
// per workspace keeps every key far below that (a KEK wraps one data key per workspace).
package seal
