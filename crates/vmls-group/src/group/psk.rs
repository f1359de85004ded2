//! The PSKs a member can inject or resolve (RFC 9420 sections 8.4 and 12.1.4).
use alloc::vec::Vec;
use vmls_codec::{Decode, Encode, Error as CodecError, Reader, VLBytes, Writer};
use vmls_crypto::{NH, Secret};
use vmls_keyschedule::{PreSharedKeyId, Psk};
use zeroize::Zeroizing;

/// External PSKs (by `psk_id`, any length) and resumption PSKs (by group ID and epoch) known to this member.
///
/// A [`crate::group::Group`] keeps its own `resumption_psk` of the last
/// [`crate::group::GroupConfig::max_resumption_psks`] epochs here automatically; external PSKs
/// and resumption PSKs of other groups are inserted by the application. The store is part of
/// the persisted state (it holds secrets).
#[derive(Clone, Default)]
pub struct PskStore {
    external: Vec<(VLBytes, Zeroizing<Vec<u8>>)>,
    resumption: Vec<(VLBytes, u64, Secret)>,
}

impl PskStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the external PSK named `psk_id` (any length).
    pub fn insert_external(&mut self, psk_id: &[u8], psk: &[u8]) {
        let psk = Zeroizing::new(psk.to_vec());
        if let Some(e) = self
            .external
            .iter_mut()
            .find(|(id, _)| id.as_slice() == psk_id)
        {
            e.1 = psk;
        } else {
            self.external.push((VLBytes::from(psk_id), psk));
        }
    }

    /// Removes the external PSK named `psk_id`; whether it was present.
    pub fn remove_external(&mut self, psk_id: &[u8]) -> bool {
        let n = self.external.len();
        self.external.retain(|(id, _)| id.as_slice() != psk_id);
        n != self.external.len()
    }

    /// The external PSK named `psk_id`.
    pub fn external(&self, psk_id: &[u8]) -> Option<&[u8]> {
        self.external
            .iter()
            .find(|(id, _)| id.as_slice() == psk_id)
            .map(|(_, s)| s.as_slice())
    }

    /// Adds (or replaces) the resumption PSK of `group_id` at `epoch`.
    pub fn insert_resumption(&mut self, group_id: &[u8], epoch: u64, psk: Secret) {
        if let Some(e) = self
            .resumption
            .iter_mut()
            .find(|(g, e, _)| g.as_slice() == group_id && *e == epoch)
        {
            e.2 = psk;
        } else {
            self.resumption.push((VLBytes::from(group_id), epoch, psk));
        }
    }

    /// The resumption PSK of `group_id` at `epoch`.
    pub fn resumption(&self, group_id: &[u8], epoch: u64) -> Option<&[u8]> {
        self.resumption
            .iter()
            .find(|(g, e, _)| g.as_slice() == group_id && *e == epoch)
            .map(|(_, _, s)| s.as_bytes().as_slice())
    }

    /// Removes the resumption PSK of `group_id` at `epoch`.
    pub(crate) fn remove_resumption(&mut self, group_id: &[u8], epoch: u64) {
        self.resumption
            .retain(|(g, e, _)| g.as_slice() != group_id || *e != epoch);
    }

    /// Keeps at most `keep` resumption PSKs of `group_id`, the newest epochs.
    pub(crate) fn trim_resumption(&mut self, group_id: &[u8], keep: usize) {
        let mut epochs: Vec<u64> = self
            .resumption
            .iter()
            .filter(|(g, _, _)| g.as_slice() == group_id)
            .map(|(_, e, _)| *e)
            .collect();
        if epochs.len() <= keep {
            return;
        }
        vmls_codec::sort::sort_unstable(&mut epochs);
        let cut = epochs.get(epochs.len() - keep).copied().unwrap_or(u64::MAX);
        self.resumption
            .retain(|(g, e, _)| g.as_slice() != group_id || *e >= cut);
    }

    /// The PSK a PreSharedKeyID names, if known.
    pub fn get(&self, id: &PreSharedKeyId) -> Option<&[u8]> {
        match &id.psk {
            Psk::External { psk_id } => self.external(psk_id),
            Psk::Resumption {
                psk_group_id,
                psk_epoch,
                ..
            } => self.resumption(psk_group_id, *psk_epoch),
            Psk::Application { .. } => None,
        }
    }
}

fn read_secret(r: &mut Reader<'_>) -> Result<Secret, CodecError> {
    let raw = zeroize::Zeroizing::new(r.read_array::<NH>()?);
    Ok(Secret::from_bytes(*raw))
}

/// `struct { ExternalPsk external<V>; ResumptionPsk resumption<V>; }` with
/// `ExternalPsk = { opaque id<V>; opaque psk<V>; }` and
/// `ResumptionPsk = { opaque group_id<V>; uint64 epoch; opaque psk[Nh]; }`.
impl Encode for PskStore {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        let ext: usize = self
            .external
            .iter()
            .map(|(id, s)| id.encoded_len() + vmls_codec::opaque_len(s.len()))
            .sum();
        vmls_codec::encode_varint(w, ext)?;
        for (id, s) in &self.external {
            id.encode(w)?;
            vmls_codec::encode_opaque(w, s)?;
        }
        let res: usize = self
            .resumption
            .iter()
            .map(|(g, _, _)| g.encoded_len() + 8 + NH)
            .sum();
        vmls_codec::encode_varint(w, res)?;
        for (g, e, s) in &self.resumption {
            g.encode(w)?;
            e.encode(w)?;
            w.put(s.as_bytes())?;
        }
        Ok(())
    }
    fn encoded_len(&self) -> usize {
        let ext: usize = self
            .external
            .iter()
            .map(|(id, s)| id.encoded_len() + vmls_codec::opaque_len(s.len()))
            .sum();
        let res: usize = self
            .resumption
            .iter()
            .map(|(g, _, _)| g.encoded_len() + 8 + NH)
            .sum();
        vmls_codec::varint_len(ext) + ext + vmls_codec::varint_len(res) + res
    }
}

impl Decode for PskStore {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let mut out = Self::default();
        let mut body = r.read_vec_body()?;
        while !body.is_empty() {
            let id = VLBytes::decode(&mut body)?;
            let s = Zeroizing::new(body.read_opaque()?.to_vec());
            out.external.push((id, s));
        }
        let mut body = r.read_vec_body()?;
        while !body.is_empty() {
            let g = VLBytes::decode(&mut body)?;
            let e = u64::decode(&mut body)?;
            let s = read_secret(&mut body)?;
            out.resumption.push((g, e, s));
        }
        Ok(out)
    }
}

impl core::fmt::Debug for PskStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PskStore")
            .field("external", &self.external.len())
            .field("resumption", &self.resumption.len())
            .finish()
    }
}
