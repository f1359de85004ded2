//! Challenge-based application messages in the group engine (draft-kohbrok-mls-virtual-clients-03
//! section 5.5, `CBST-CBAM.md`).
//!
//! Every epoch derives, when it starts, the forward-secure exports of vmls's safe-exporter
//! component `0x8001` (`MLS-FS-Export(label, context, length) = ExpandWithLabel(
//! SafeExportSecret(0x8001), label, context, length)`): the CBST root, the CBAM sender-data
//! secret and the virtual-client seed; the component secret is then deleted. The group owns
//! the epoch's CBST as it owns the secret tree, keeps it for retained past epochs, and deletes it
//! with the epoch.
//!
//! A group uses CBAM when its `required_capabilities` lists [`CBAM_EXTENSION_TYPE`]: then every
//! member supports it (RFC 9420 section 11.1), and a client that does not cannot join.
use rand_core::CryptoRng;
use vmls_cbst::{
    CbstConfig, ChallengeContext, ChallengeLevel, ChallengeSecretTree, GroupChallengeContext,
    PuncturePlan, derive_challenge,
};
use vmls_codec::{Decode, Encode, Error as CodecError, Reader, Writer};
use vmls_crypto::{CipherSuite, NH, Secret};
use vmls_keyschedule::EpochSecrets;

use super::error::GroupError;
use super::{Group, check_size};
use crate::framing::cbam::{
    CBAMSender, CbamMessageView, CbamSenderKeys, cbam_message_len, cbam_plaintext_len,
    encrypt_cbam_into,
};

/// vmls's safe-exporter component (private use, `CBST-CBAM.md`).
pub const VMLS_COMPONENT_ID: u16 = 0x8001;

/// The extension type a client lists in `capabilities.extensions` to say it reads and sends
/// CBAMs, and a group lists in `required_capabilities.extension_types` when it admits virtual
/// clients (private-use range; docs/spec-decisions.md, "CBAM as a group capability").
pub const CBAM_EXTENSION_TYPE: u16 = 0xF0CB;

/// Fresh seeds tried when a challenge falls into a deleted region of the CBST (each costs a
/// generation; the chance of needing a second is the CBST's lost share, far below 2^-20 within
/// the epoch message budget).
const CHALLENGE_ATTEMPTS: usize = 8;

/// `MLS-FS-Export(label, "", Nh)` from the component secret.
fn fs_export(component: &Secret, label: &[u8]) -> Result<Secret, GroupError> {
    Ok(vmls_crypto::expand_with_label(
        component.as_bytes(),
        label,
        &[],
    )?)
}

/// The forward-secure exports of one epoch and the CBAM sending state.
#[derive(Clone)]
pub(crate) struct CbamEpoch<S: CipherSuite> {
    pub(crate) cbst: ChallengeSecretTree<S>,
    pub(crate) sender_data_secret: Secret,
    /// `MLS-FS-Export("Virtual Client Seed", "", Nh)`, for the emulation layer.
    pub(crate) vc_seed: Secret,
    /// This member's next CBAM generation; 2^32 when exhausted (draft 5.5.1: sending fails).
    pub(crate) next_generation: u64,
}

impl<S: CipherSuite> CbamEpoch<S> {
    /// Consumes component `0x8001` of `secrets` and derives the epoch's exports.
    pub(crate) fn derive(
        secrets: &mut EpochSecrets,
        config: CbstConfig,
    ) -> Result<Self, GroupError> {
        let component = secrets.safe_export_secret(VMLS_COMPONENT_ID)?;
        Ok(Self {
            cbst: ChallengeSecretTree::new(fs_export(&component, b"CBST")?, config)?,
            sender_data_secret: fs_export(&component, b"CBAM Sender Data Secret")?,
            vc_seed: fs_export(&component, b"Virtual Client Seed")?,
            next_generation: 0,
        })
    }
}

/// `struct { ChallengeSecretTree cbst; opaque sender_data_secret[32]; opaque vc_seed[32];
/// uint64 next_generation; }` in the state blob.
impl<S: CipherSuite> Encode for CbamEpoch<S> {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.cbst.encode(w)?;
        w.put(self.sender_data_secret.as_bytes())?;
        w.put(self.vc_seed.as_bytes())?;
        self.next_generation.encode(w)
    }
    fn encoded_len(&self) -> usize {
        self.cbst.encoded_len() + 2 * NH + 8
    }
}

impl<S: CipherSuite> Decode for CbamEpoch<S> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let cbst = ChallengeSecretTree::decode(r)?;
        let sender_data_secret = Secret::from_bytes(r.read_array::<NH>()?);
        let vc_seed = Secret::from_bytes(r.read_array::<NH>()?);
        let next_generation = u64::decode(r)?;
        if next_generation > 1 << 32 {
            return Err(CodecError::InvalidEnum(next_generation));
        }
        Ok(Self {
            cbst,
            sender_data_secret,
            vc_seed,
            next_generation,
        })
    }
}

/// A CBAM decrypted by [`Group::decrypt_cbam`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceivedCbam<'m> {
    /// The sender's leaf index (a virtual client's leaf: which emulator sent is not visible).
    pub sender: u32,
    /// The epoch it was sent in.
    pub epoch: u64,
    /// The challenge it used.
    pub challenge: [u8; NH],
    /// The message's authenticated data (borrowed from the message).
    pub authenticated_data: &'m [u8],
    /// Length of the data at the start of the output buffer.
    pub len: usize,
}

/// Where a CBAM's epoch lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CbamSource {
    Current,
    Past(u64),
}

impl<S: CipherSuite> Group<S> {
    /// Whether this group uses CBAM: its `required_capabilities` lists
    /// [`CBAM_EXTENSION_TYPE`].
    pub fn cbam_enabled(&self) -> bool {
        // Read in place (no allocation: this runs on every CBAM sent): the first field of
        // `RequiredCapabilities` is `ExtensionType extension_types<V>`.
        self.epoch
            .context
            .extensions
            .iter()
            .filter(|e| e.extension_type == vmls_tree::extension_type::REQUIRED_CAPABILITIES)
            .any(|e| {
                let mut r = Reader::new(&e.extension_data);
                r.read_vec_body().is_ok_and(|mut types| {
                    while let Ok(t) = u16::decode(&mut types) {
                        if t == CBAM_EXTENSION_TYPE {
                            return true;
                        }
                    }
                    false
                })
            })
    }

    /// Length of the CBAM [`Group::encrypt_cbam`] writes (padding included).
    pub fn cbam_message_len(&self, authenticated_data_len: usize, data_len: usize) -> usize {
        let padding = self.config.padding_for(cbam_plaintext_len(data_len, 0));
        cbam_message_len(
            self.group_id().len(),
            authenticated_data_len,
            data_len,
            padding,
        )
    }

    /// This member's level of a `GroupChallengeContext`: its leaf and the epoch's
    /// confirmation tag. An emulator passes it (with its own levels below) as the
    /// `subgroup_context` of the virtual client it sends for.
    pub fn challenge_level(&self) -> ChallengeLevel {
        ChallengeLevel {
            leaf_index: self.epoch.own_leaf.0,
            confirmation_tag: self.epoch.confirmation_tag,
        }
    }

    /// `MLS-FS-Export("Virtual Client Seed", "", Nh)` of the current epoch (`CBST-CBAM.md`,
    /// virtual-client secrets), for the emulation layer.
    pub fn virtual_client_seed(&self) -> &Secret {
        &self.epoch.cbam.vc_seed
    }

    /// Encrypts `data` as a CBAM of a real client (its `GroupChallengeContext` has one level)
    /// into `out`; see [`Group::encrypt_cbam_as`].
    pub fn encrypt_cbam<R: CryptoRng + ?Sized>(
        &mut self,
        authenticated_data: &[u8],
        data: &[u8],
        rng: &mut R,
        out: &mut [u8],
    ) -> Result<usize, GroupError> {
        self.encrypt_cbam_as(None, &[], authenticated_data, data, rng, out)
    }

    /// Encrypts `data` as a CBAMMLSMessage into `out` without heap allocation and returns its
    /// length (draft 5.5). `subgroup_context` is the sending emulator's own context when this
    /// member is a virtual client (its leaf and confirmation tag in the emulation group, down
    /// to the real client); `application_context` goes into the `ChallengeContext`.
    ///
    /// Draws a 32-byte challenge seed from `rng`, derives the challenge from this member's
    /// generation counter, derives and punctures its CBST leaf, signs and encrypts. Fails
    /// before any state changes with [`GroupError::CbamNotEnabled`],
    /// [`GroupError::ProposalsPending`], [`GroupError::BufferTooSmall`] or
    /// [`GroupError::MessageTooLarge`]; with [`GroupError::CbamGenerationsExhausted`] once the
    /// counter would wrap.
    #[allow(clippy::too_many_arguments)]
    pub fn encrypt_cbam_as<R: CryptoRng + ?Sized>(
        &mut self,
        subgroup_context: Option<&GroupChallengeContext>,
        application_context: &[u8],
        authenticated_data: &[u8],
        data: &[u8],
        rng: &mut R,
        out: &mut [u8],
    ) -> Result<usize, GroupError> {
        self.encrypt_cbam_inner(
            None,
            subgroup_context,
            application_context,
            authenticated_data,
            data,
            rng,
            out,
        )
    }

    /// [`Group::encrypt_cbam_as`] with the generation counter kept by the caller: for an
    /// emulator sending as a virtual client, whose counter belongs to the emulator (draft 5.5.1:
    /// "each sending client"), so that the virtual client's state stays identical on every
    /// emulator. Uses `*generation` (and the following ones if a challenge must be redrawn) and
    /// advances it; the group's own counter is not touched.
    #[allow(clippy::too_many_arguments)]
    pub fn encrypt_cbam_with_generation<R: CryptoRng + ?Sized>(
        &mut self,
        generation: &mut u64,
        subgroup_context: Option<&GroupChallengeContext>,
        application_context: &[u8],
        authenticated_data: &[u8],
        data: &[u8],
        rng: &mut R,
        out: &mut [u8],
    ) -> Result<usize, GroupError> {
        self.encrypt_cbam_inner(
            Some(generation),
            subgroup_context,
            application_context,
            authenticated_data,
            data,
            rng,
            out,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn encrypt_cbam_inner<R: CryptoRng + ?Sized>(
        &mut self,
        mut external_generation: Option<&mut u64>,
        subgroup_context: Option<&GroupChallengeContext>,
        application_context: &[u8],
        authenticated_data: &[u8],
        data: &[u8],
        rng: &mut R,
        out: &mut [u8],
    ) -> Result<usize, GroupError> {
        self.require_active()?;
        if !self.cbam_enabled() {
            return Err(GroupError::CbamNotEnabled);
        }
        if !self.proposals.is_empty() {
            return Err(GroupError::ProposalsPending);
        }
        let padding = self.config.padding_for(cbam_plaintext_len(data.len(), 0));
        let len = cbam_message_len(
            self.group_id().len(),
            authenticated_data.len(),
            data.len(),
            padding,
        );
        check_size(&self.config, len)?;
        if out.len() < len {
            return Err(GroupError::BufferTooSmall { needed: len });
        }
        let level = self.challenge_level();
        let gcc = match subgroup_context {
            Some(sub) => GroupChallengeContext::virtual_sender(level, sub)?,
            None => GroupChallengeContext::real(level),
        };
        let mut attempts = 0;
        let (challenge, key) = loop {
            let counter = match external_generation.as_deref_mut() {
                Some(g) => g,
                None => &mut self.epoch.cbam.next_generation,
            };
            let generation =
                u32::try_from(*counter).map_err(|_| GroupError::CbamGenerationsExhausted)?;
            *counter += 1;
            let mut seed = zeroize::Zeroizing::new([0u8; NH]);
            rng.fill_bytes(seed.as_mut());
            let challenge = derive_challenge(
                seed.as_ref(),
                &ChallengeContext {
                    group_challenge_context: &gcc,
                    generation,
                    application_context,
                },
            )?;
            match self.epoch.cbam.cbst.derive(&challenge) {
                Ok(key) => break (challenge, key),
                Err(vmls_cbst::CbstError::ChallengeUnavailable)
                    if attempts + 1 < CHALLENGE_ATTEMPTS =>
                {
                    attempts += 1;
                }
                Err(e) => return Err(e.into()),
            }
        };
        let e = &self.epoch;
        let keys = CbamSenderKeys {
            context: &e.encoded_context,
            sender: CBAMSender {
                challenge,
                sender_index: e.own_leaf.0,
            },
            signer: &self.prepared_signer,
            sender_data_secret: &e.cbam.sender_data_secret,
            key: key.key(),
            nonce: key.nonce(),
        };
        Ok(encrypt_cbam_into::<S>(
            &keys,
            authenticated_data,
            data,
            padding,
            out,
        )?)
    }

    /// Decrypts a CBAM of the current epoch or a retained past one into `out` without heap
    /// allocation; the data is `out[..len]`. Checks in the order `CBST-CBAM.md` gives: sender
    /// data, that `sender_index` is a member, the CBST key of the challenge, the content, the
    /// signature; only then is the challenge punctured. A rejected message changes nothing.
    /// `out` receives the whole decrypted content (data, signature and padding) before the
    /// data is moved to its start, so it must be at least as long as the message's ciphertext
    /// ([`GroupError::BufferTooSmall`] says how long otherwise); the message's length is
    /// always enough.
    pub fn decrypt_cbam<'m>(
        &mut self,
        message: &'m [u8],
        out: &mut [u8],
    ) -> Result<ReceivedCbam<'m>, GroupError> {
        let (received, source, plan) = self.open_cbam(message, out)?;
        self.puncture_cbam(source, plan)?;
        Ok(received)
    }

    /// Decrypts and verifies a CBAM without changing the group.
    pub(crate) fn open_cbam<'m>(
        &self,
        message: &'m [u8],
        out: &mut [u8],
    ) -> Result<(ReceivedCbam<'m>, CbamSource, PuncturePlan), GroupError> {
        check_size(&self.config, message.len())?;
        let view = CbamMessageView::parse(message)?;
        if view.group_id() != self.group_id() {
            return Err(GroupError::WrongGroupId);
        }
        let current = self.epoch();
        let epoch = view.epoch();
        let active = self.status == super::GroupStatus::Active;
        if epoch == current && active {
            let e = &self.epoch;
            let sender = view.decrypt_sender::<S>(&e.cbam.sender_data_secret)?;
            let leaf = sender.sender_index;
            let sig = e.member_signature_key(leaf)?;
            let (key, plan) = e.cbam.cbst.open(&sender.challenge)?;
            let len = view.decrypt_into::<S>(
                &sender,
                key.key(),
                key.nonce(),
                &sig,
                &e.encoded_context,
                out,
            )?;
            return Ok((
                ReceivedCbam {
                    sender: leaf,
                    epoch,
                    challenge: sender.challenge,
                    authenticated_data: view.authenticated_data(),
                    len,
                },
                CbamSource::Current,
                plan,
            ));
        }
        let past = self
            .past_epochs
            .iter()
            .find(|p| p.context.epoch == epoch)
            .ok_or(if epoch == current {
                GroupError::Inactive
            } else {
                GroupError::WrongEpoch {
                    got: epoch,
                    expected: current,
                }
            })?;
        let cbam = past.cbam.as_ref().ok_or(GroupError::WrongEpoch {
            got: epoch,
            expected: current,
        })?;
        let sender = view.decrypt_sender::<S>(&cbam.sender_data_secret)?;
        let leaf = sender.sender_index;
        past.check_late_sender(leaf, self.config.late_messages_from_updated_senders)?;
        let sig = past
            .signature_keys
            .get(leaf)
            .ok_or(GroupError::UnknownMember { leaf })?;
        let (key, plan) = cbam.cbst.open(&sender.challenge)?;
        let len = view.decrypt_into::<S>(
            &sender,
            key.key(),
            key.nonce(),
            &sig,
            &past.encoded_context,
            out,
        )?;
        Ok((
            ReceivedCbam {
                sender: leaf,
                epoch,
                challenge: sender.challenge,
                authenticated_data: view.authenticated_data(),
                len,
            },
            CbamSource::Past(epoch),
            plan,
        ))
    }

    /// Punctures a verified CBAM's challenge in the tree of its epoch.
    pub(crate) fn puncture_cbam(
        &mut self,
        source: CbamSource,
        plan: PuncturePlan,
    ) -> Result<(), GroupError> {
        let cbst = match source {
            CbamSource::Current => &mut self.epoch.cbam.cbst,
            CbamSource::Past(e) => {
                &mut self
                    .past_epochs
                    .iter_mut()
                    .find(|p| p.context.epoch == e)
                    .and_then(|p| p.cbam.as_mut())
                    .ok_or(GroupError::InvalidState)?
                    .cbst
            }
        };
        Ok(cbst.apply(plan)?)
    }

    /// Stored bytes of the current epoch's CBST (docs/performance.md).
    pub fn cbst_state_bytes(&self) -> usize {
        self.epoch.cbam.cbst.state_bytes()
    }

    /// The share of the current epoch's challenge space the CBST has deleted beyond the used
    /// challenges, as `(numerator, denominator)`: the chance that a new CBAM in this epoch
    /// cannot be sent at the first try or read. Commit a new epoch when it grows past what the
    /// application accepts (the epoch message budget, docs/performance.md).
    pub fn cbst_lost_fraction(&self) -> (u128, u128) {
        self.epoch.cbam.cbst.lost_fraction()
    }

    /// CBAMs used (sent or read) in the current epoch.
    pub fn cbams_in_epoch(&self) -> u64 {
        self.epoch.cbam.cbst.used()
    }
}
