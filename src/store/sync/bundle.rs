//! The bundle file: one device's new changes, sealed with the team's key and signed by the
//! device.
//!
//! Layout: `CBSYNC1\n`, the header's length (u32, big-endian) and the header (JSON, readable
//! without the key: team, device, sequence numbers, what the bundle depends on), a 24-byte
//! nonce, the body's length (u64) and the body sealed with XChaCha20-Poly1305 under the team's
//! bundle key with the header as associated data, then the device's ed25519 signature of
//! everything before it. The nonce is derived from the device, the bundle sequence and the
//! body, so writing the same bundle again gives the same bytes, and two different bodies never
//! share a nonce.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::audit::{put_bytes, put_varint, Reader, TravellingRow};
use crate::store::DataKey;

const MAGIC: &[u8; 8] = b"CBSYNC1\n";
/// Headers are small; anything bigger is not a bundle.
const MAX_HEADER: usize = 64 * 1024;

/// What a bundle says about itself before it is opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    pub team_id: String,
    pub device_id: String,
    pub device_name: String,
    /// The device's ed25519 public key, hex.
    pub public_key: String,
    /// 1, 2, 3… per device.
    pub bundle_seq: i64,
    /// The device's change sequence numbers the bundle holds (`first..=last`).
    pub first_change: i64,
    pub last_change: i64,
    /// For every other device, the last of its bundles the writer had applied: this bundle
    /// waits until the reader has applied those too, so changes arrive after what they build on.
    pub depends: BTreeMap<String, i64>,
    pub schema_version: i64,
    pub created_at: String,
}

/// One `Store::write` transaction of the writing device.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    /// The role-table action the write was made under (see `Permission::code`).
    pub permission: String,
    /// An SQLite session changeset.
    pub changeset: Vec<u8>,
    /// The audit rows the transaction appended to the device's chain.
    pub audit: Vec<TravellingRow>,
}

/// An opened, checked bundle.
#[derive(Debug, Clone)]
pub struct Opened {
    pub header: Header,
    pub changes: Vec<Change>,
    /// SHA-256 of the whole file: a replay of an applied bundle has the same digest.
    pub digest: [u8; 32],
}

fn put_i64(buf: &mut Vec<u8>, i: i64) {
    put_varint(buf, ((i << 1) ^ (i >> 63)) as u64);
}

fn get_i64(r: &mut Reader) -> Result<i64> {
    let z = r.varint()?;
    Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
}

fn put_opt(buf: &mut Vec<u8>, b: &Option<Vec<u8>>) {
    match b {
        None => buf.push(0),
        Some(b) => {
            buf.push(1);
            put_bytes(buf, b);
        }
    }
}

fn get_opt(r: &mut Reader) -> Result<Option<Vec<u8>>> {
    Ok(match r.byte()? {
        0 => None,
        1 => Some(r.bytes()?.to_vec()),
        t => bail!("unknown optional tag {t}"),
    })
}

fn encode_body(changes: &[Change]) -> Vec<u8> {
    let mut b = Vec::new();
    put_varint(&mut b, changes.len() as u64);
    for c in changes {
        put_i64(&mut b, c.seq);
        put_i64(&mut b, c.at);
        put_bytes(&mut b, c.actor.as_bytes());
        put_bytes(&mut b, c.permission.as_bytes());
        put_bytes(&mut b, &c.changeset);
        put_varint(&mut b, c.audit.len() as u64);
        for a in &c.audit {
            put_i64(&mut b, a.device_seq);
            put_i64(&mut b, a.at);
            put_bytes(&mut b, a.actor.as_bytes());
            put_bytes(&mut b, a.action.as_bytes());
            put_bytes(&mut b, a.table.as_bytes());
            put_bytes(&mut b, a.record_id.as_bytes());
            put_opt(&mut b, &a.changes);
            put_opt(&mut b, &a.row_hash);
            put_bytes(&mut b, &a.hash);
        }
    }
    b
}

fn decode_body(body: &[u8]) -> Result<Vec<Change>> {
    let mut r = Reader { b: body };
    let n = r.varint()?;
    let mut out = Vec::new();
    for _ in 0..n {
        let seq = get_i64(&mut r)?;
        let at = get_i64(&mut r)?;
        let actor = r.text()?;
        let permission = r.text()?;
        let changeset = r.bytes()?.to_vec();
        let k = r.varint()?;
        let mut audit = Vec::new();
        for _ in 0..k {
            audit.push(TravellingRow {
                device_seq: get_i64(&mut r)?,
                at: get_i64(&mut r)?,
                actor: r.text()?,
                action: r.text()?,
                table: r.text()?,
                record_id: r.text()?,
                changes: get_opt(&mut r)?,
                row_hash: get_opt(&mut r)?,
                hash: r.bytes()?.to_vec(),
            });
        }
        out.push(Change {
            seq,
            at,
            actor,
            permission,
            changeset,
            audit,
        });
    }
    if !r.b.is_empty() {
        bail!("the body has trailing bytes");
    }
    Ok(out)
}

fn nonce_for(header: &Header, body: &[u8]) -> [u8; 24] {
    let mut h = Sha256::new();
    h.update(b"casebook sync nonce v1\0");
    h.update(header.device_id.as_bytes());
    h.update(header.bundle_seq.to_be_bytes());
    h.update(Sha256::digest(body));
    let d = h.finalize();
    let mut n = [0u8; 24];
    n.copy_from_slice(&d[..24]);
    n
}

/// Seals and signs a bundle.
pub fn seal(
    header: &Header,
    changes: &[Change],
    key: &DataKey,
    signer: &SigningKey,
) -> Result<Vec<u8>> {
    let head = serde_json::to_vec(header)?;
    let body = encode_body(changes);
    let nonce = nonce_for(header, &body);
    let bk = key.bundle_key();
    let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&bk[..]));
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &body,
                aad: &head,
            },
        )
        .map_err(|_| anyhow::anyhow!("cannot seal the bundle"))?;
    let mut out = Vec::with_capacity(head.len() + sealed.len() + 128);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(head.len() as u32).to_be_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&(sealed.len() as u64).to_be_bytes());
    out.extend_from_slice(&sealed);
    let sig = signer.sign(&out);
    out.extend_from_slice(&sig.to_bytes());
    Ok(out)
}

/// The parts of a file, checked for shape only.
struct Parts<'f> {
    header: Header,
    head: &'f [u8],
    nonce: &'f [u8],
    sealed: &'f [u8],
    signed: &'f [u8],
    signature: &'f [u8],
}

fn split(file: &[u8]) -> Result<Parts<'_>> {
    if file.len() < MAGIC.len() + 4 || &file[..MAGIC.len()] != MAGIC {
        bail!("it is not a casebook sync bundle (or its start is missing)");
    }
    let mut at = MAGIC.len();
    let hl = u32::from_be_bytes(file[at..at + 4].try_into().expect("4 bytes")) as usize;
    at += 4;
    if hl > MAX_HEADER || file.len() < at + hl {
        bail!("it is truncated (the header is cut short)");
    }
    let head = &file[at..at + hl];
    let header: Header = serde_json::from_slice(head).context("its header is unreadable")?;
    at += hl;
    if file.len() < at + 24 + 8 {
        bail!("it is truncated (after the header)");
    }
    let nonce = &file[at..at + 24];
    at += 24;
    let sl = u64::from_be_bytes(file[at..at + 8].try_into().expect("8 bytes"));
    at += 8;
    let Some(end) = usize::try_from(sl).ok().and_then(|sl| at.checked_add(sl)) else {
        bail!("it is damaged (an impossible length)");
    };
    if file.len() != end + 64 {
        if file.len() < end + 64 {
            bail!("it is truncated ({} bytes of {})", file.len(), end + 64);
        }
        bail!(
            "it has {} unexpected bytes at its end",
            file.len() - end - 64
        );
    }
    Ok(Parts {
        header,
        head,
        nonce,
        sealed: &file[at..end],
        signed: &file[..end],
        signature: &file[end..],
    })
}

/// Reads the header alone (no key needed): for ordering and for naming a refused bundle.
pub fn peek(file: &[u8]) -> Result<Header> {
    Ok(split(file)?.header)
}

/// Checks and opens a bundle: its team, its signature under `public_key` (the key pinned for
/// its device, or the one it carries when the device is new), then the seal. Any failure
/// refuses the whole bundle.
pub fn open(file: &[u8], team_id: &str, public_key: &[u8], key: &DataKey) -> Result<Opened> {
    let p = split(file)?;
    if p.header.format != 1 {
        bail!("it is of a newer bundle format ({})", p.header.format);
    }
    if p.header.team_id != team_id {
        bail!(
            "it belongs to another team ({}; this database's team is {team_id})",
            p.header.team_id
        );
    }
    let vk: [u8; 32] = public_key
        .try_into()
        .map_err(|_| anyhow::anyhow!("its device key has the wrong length"))?;
    let vk = VerifyingKey::from_bytes(&vk)
        .map_err(|_| anyhow::anyhow!("its device key is not valid"))?;
    let sig = Signature::from_slice(p.signature)
        .map_err(|_| anyhow::anyhow!("its signature is malformed"))?;
    if vk.verify(p.signed, &sig).is_err() {
        bail!(
            "its signature does not check (it was altered, or not made by device {})",
            p.header.device_id
        );
    }
    let bk = key.bundle_key();
    let cipher = XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&bk[..]));
    let body = cipher
        .decrypt(
            XNonce::from_slice(p.nonce),
            Payload {
                msg: p.sealed,
                aad: p.head,
            },
        )
        .map_err(|_| anyhow::anyhow!("it cannot be opened with this team's key"))?;
    let changes = decode_body(&body).context("its content is malformed")?;
    let mut expected = p.header.first_change;
    for c in &changes {
        if c.seq != expected {
            bail!(
                "its changes are out of sequence (change {} where {expected} was due)",
                c.seq
            );
        }
        expected += 1;
    }
    if expected != p.header.last_change + 1 {
        bail!("it holds fewer changes than its header says");
    }
    Ok(Opened {
        header: p.header,
        changes,
        digest: Sha256::digest(file).into(),
    })
}

/// The file name a bundle is written under (readers go by the header, not the name).
pub fn file_name(device_id: &str, bundle_seq: i64) -> String {
    format!("{device_id}-{bundle_seq:010}.cbsync")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Header, Vec<Change>, DataKey, SigningKey) {
        let key = DataKey::generate();
        let signer = SigningKey::from_bytes(&[7u8; 32]);
        let header = Header {
            format: 1,
            team_id: "team-1".into(),
            device_id: "dev-a".into(),
            device_name: "Laptop A".into(),
            public_key: hex::encode(signer.verifying_key().to_bytes()),
            bundle_seq: 3,
            first_change: 10,
            last_change: 11,
            depends: BTreeMap::from([("dev-b".to_string(), 2)]),
            schema_version: 5,
            created_at: "2025-06-02T12:00:00Z".into(),
        };
        let row = TravellingRow {
            device_seq: 40,
            at: 1_700_000_000,
            actor: "w1".into(),
            action: "update".into(),
            table: "young_people".into(),
            record_id: "yp1".into(),
            changes: Some(vec![1, 2, 3]),
            row_hash: None,
            hash: vec![9; 32],
        };
        let changes = vec![
            Change {
                seq: 10,
                at: -5,
                actor: "w1".into(),
                permission: "record_casework".into(),
                changeset: vec![1, 2, 3, 4],
                audit: vec![row],
            },
            Change {
                seq: 11,
                at: 7,
                actor: "w2".into(),
                permission: "record_casework".into(),
                changeset: vec![],
                audit: vec![],
            },
        ];
        (header, changes, key, signer)
    }

    #[test]
    fn a_sealed_bundle_opens_with_the_team_key_and_the_device_key_and_is_deterministic() {
        let (h, c, key, signer) = sample();
        let file = seal(&h, &c, &key, &signer).unwrap();
        assert_eq!(file, seal(&h, &c, &key, &signer).unwrap());
        let pk = signer.verifying_key().to_bytes();
        let opened = open(&file, "team-1", &pk, &key).unwrap();
        assert_eq!(opened.header, h);
        assert_eq!(opened.changes, c);
        assert_eq!(peek(&file).unwrap().bundle_seq, 3);
    }

    #[test]
    fn a_truncated_altered_foreign_or_wrongly_signed_bundle_is_refused_saying_why() {
        let (h, c, key, signer) = sample();
        let file = seal(&h, &c, &key, &signer).unwrap();
        let pk = signer.verifying_key().to_bytes();
        let err = |f: &[u8], team: &str, pk: &[u8], k: &DataKey| {
            open(f, team, pk, k).unwrap_err().to_string()
        };
        assert!(err(&file[..file.len() - 10], "team-1", &pk, &key).contains("truncated"));
        assert!(err(&file[..20], "team-1", &pk, &key).contains("truncated"));
        assert!(err(&file, "team-2", &pk, &key).contains("another team"));
        let mut altered = file.clone();
        let mid = altered.len() - 80;
        altered[mid] ^= 1;
        assert!(err(&altered, "team-1", &pk, &key).contains("signature"));
        let other = SigningKey::from_bytes(&[8u8; 32])
            .verifying_key()
            .to_bytes();
        assert!(err(&file, "team-1", &other, &key).contains("signature"));
        let resigned = seal(&h, &c, &DataKey::generate(), &signer).unwrap();
        assert!(err(&resigned, "team-1", &pk, &key).contains("team's key"));
        assert!(err(b"hello", "team-1", &pk, &key).contains("not a casebook sync bundle"));
    }
}
