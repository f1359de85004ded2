//! Framing (RFC 9420 section 6): each message kind rejects truncation, trailing bytes,
//! unknown enumeration values, a bad signature, a bad membership tag and a bad AEAD tag with a
//! typed error; protect/unprotect round trips between two parties.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(missing_docs)]

mod common;

use common::{assert_truncation_and_trailing_rejected, context, rng, torsion_signature};
use vmls_codec::{Decode, Encode, VLBytes};
use vmls_crypto::{CipherSuite, Mls128ChaCha, Secret, SignatureKeyPair};
use vmls_group::{
    ApplicationSender, AuthenticatedContent, Commit, Content, ContentType, EncodedGroupContext,
    Error, FramedContent, FramedContentTBS, MLSMessage, MLSMessageBody, PreparedSigner,
    PrivateMessage, PrivateMessageContent, PrivateMessageView, Proposal, PublicMessage, Remove,
    Sender, WireFormat, application_message_len, decrypt_application_into,
    encrypt_application_into,
};
use vmls_keyschedule::GroupContext;
use vmls_secret_tree::{KeyNonce, RatchetType, SecretTree};

type S = Mls128ChaCha;

const MEMBER: u32 = 3;

fn framed(ctx: &GroupContext, sender: Sender, content: Content) -> FramedContent {
    FramedContent {
        group_id: ctx.group_id.clone(),
        epoch: ctx.epoch,
        sender,
        authenticated_data: VLBytes::from(&b"ad"[..]),
        content,
    }
}

fn remove(i: u32) -> Content {
    Content::Proposal(Proposal::Remove(Remove { removed: i }))
}

fn commit() -> Content {
    Content::Commit(Commit {
        proposals: vec![vmls_group::ProposalOrRef::Proposal(Box::new(
            Proposal::Remove(Remove { removed: 1 }),
        ))],
        path: None,
    })
}

fn public_wire(m: PublicMessage) -> Vec<u8> {
    MLSMessage::new(MLSMessageBody::PublicMessage(m))
        .to_bytes()
        .unwrap()
}

fn decode_public(bytes: &[u8]) -> PublicMessage {
    match MLSMessage::decode_exact(bytes).unwrap().body {
        MLSMessageBody::PublicMessage(m) => m,
        other => panic!("not a public message: {other:?}"),
    }
}

fn decode_private(bytes: &[u8]) -> PrivateMessage {
    match MLSMessage::decode_exact(bytes).unwrap().body {
        MLSMessageBody::PrivateMessage(m) => m,
        other => panic!("not a private message: {other:?}"),
    }
}

struct Setup {
    ctx: GroupContext,
    member: SignatureKeyPair,
    other: SignatureKeyPair,
    membership_key: Secret,
    sender_data_secret: Secret,
    encryption_secret: [u8; 32],
}

fn setup() -> Setup {
    let mut r = rng(9);
    Setup {
        ctx: context(17),
        member: SignatureKeyPair::generate(&mut r),
        other: SignatureKeyPair::generate(&mut r),
        membership_key: Secret::from_bytes([0x61; 32]),
        sender_data_secret: Secret::from_bytes([0x62; 32]),
        encryption_secret: [0x63; 32],
    }
}

impl Setup {
    fn tree(&self) -> SecretTree<S> {
        SecretTree::new(Secret::from_bytes(self.encryption_secret), 8).unwrap()
    }

    fn public(&self, sender: Sender, content: Content, signer: &SignatureKeyPair) -> Vec<u8> {
        let mut ac = AuthenticatedContent::sign(
            WireFormat::PublicMessage,
            framed(&self.ctx, sender, content),
            &signer.private,
            Some(&self.ctx),
        )
        .unwrap();
        if ac.content.content_type() == ContentType::Commit {
            ac.auth.confirmation_tag = Some([0x77; 32].into());
        }
        public_wire(PublicMessage::protect(ac, &self.ctx, Some(&self.membership_key)).unwrap())
    }

    fn private(&self, content: Content, signer: &SignatureKeyPair, padding: usize) -> Vec<u8> {
        let ac = AuthenticatedContent::sign(
            WireFormat::PrivateMessage,
            framed(&self.ctx, Sender::Member(MEMBER), content),
            &signer.private,
            Some(&self.ctx),
        )
        .unwrap();
        self.private_from(ac, padding)
    }

    /// `ac` (signed or not) protected as a PrivateMessage from `MEMBER`.
    fn private_from(&self, mut ac: AuthenticatedContent, padding: usize) -> Vec<u8> {
        let kind = if ac.content.content_type() == ContentType::Application {
            RatchetType::Application
        } else {
            RatchetType::Handshake
        };
        if ac.content.content_type() == ContentType::Commit {
            ac.auth.confirmation_tag = Some([0x78; 32].into());
        }
        let (g, key) = self.tree().next_send_key(MEMBER, kind).unwrap();
        let m = PrivateMessage::protect::<S, _>(
            &ac,
            g,
            &key,
            &self.sender_data_secret,
            padding,
            &mut rng(1),
        )
        .unwrap();
        MLSMessage::new(MLSMessageBody::PrivateMessage(m))
            .to_bytes()
            .unwrap()
    }

    fn unprotect_private(&self, m: &PrivateMessage) -> Result<AuthenticatedContent, Error> {
        let mut tree = self.tree();
        let pk = self.member.public;
        m.unprotect::<S, _>(&self.sender_data_secret, &self.ctx, |sd, ct| {
            let kind = if ct == ContentType::Application {
                RatchetType::Application
            } else {
                RatchetType::Handshake
            };
            Ok((tree.take_key(sd.leaf_index, kind, sd.generation)?, pk))
        })
    }
}

#[test]
fn public_message_round_trip_and_rejections() {
    let s = setup();
    for content in [remove(2), commit()] {
        let wire = s.public(Sender::Member(MEMBER), content.clone(), &s.member);
        assert_truncation_and_trailing_rejected::<MLSMessage>(&wire);

        let ac = decode_public(&wire)
            .unprotect(&s.member.public, &s.ctx, Some(&s.membership_key))
            .unwrap();
        assert_eq!(ac.content.content, content);
        assert_eq!(ac.content.sender, Sender::Member(MEMBER));

        // Wrong membership key, and a flipped membership tag byte (the tag is last).
        assert_eq!(
            decode_public(&wire).unprotect(
                &s.member.public,
                &s.ctx,
                Some(&Secret::from_bytes([1; 32]))
            ),
            Err(Error::InvalidMembershipTag)
        );
        let mut bad = wire.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(
            decode_public(&bad).unprotect(&s.member.public, &s.ctx, Some(&s.membership_key)),
            Err(Error::InvalidMembershipTag)
        );
        assert_eq!(
            decode_public(&wire).unprotect(&s.member.public, &s.ctx, None),
            Err(Error::MissingMembershipKey)
        );

        // Valid membership tag, signature by another key.
        let forged = s.public(Sender::Member(MEMBER), content.clone(), &s.other);
        assert_eq!(
            decode_public(&forged).unprotect(&s.member.public, &s.ctx, Some(&s.membership_key)),
            Err(Error::InvalidSignature)
        );

        // Another epoch.
        assert_eq!(
            decode_public(&wire).unprotect(&s.member.public, &context(18), Some(&s.membership_key)),
            Err(Error::WrongEpoch {
                expected: 18,
                got: 17
            })
        );
    }
}

#[test]
fn external_sender_public_message_has_no_membership_tag() {
    let s = setup();
    let wire = s.public(Sender::External(0), remove(1), &s.other);
    let m = decode_public(&wire);
    assert!(m.membership_tag.is_none());
    assert_truncation_and_trailing_rejected::<MLSMessage>(&wire);
    m.clone().unprotect(&s.other.public, &s.ctx, None).unwrap();
    assert_eq!(
        m.unprotect(&s.member.public, &s.ctx, None),
        Err(Error::InvalidSignature)
    );
    // The signature of an external sender does not cover the GroupContext: a different
    // tree hash in the context still verifies.
    let mut ctx = s.ctx.clone();
    ctx.tree_hash = VLBytes::from(&[0u8; 32][..]);
    decode_public(&wire)
        .unprotect(&s.other.public, &ctx, None)
        .unwrap();
}

#[test]
fn public_message_rules() {
    let s = setup();
    // Application data may not be sent as a PublicMessage.
    let ac = AuthenticatedContent::sign(
        WireFormat::PublicMessage,
        framed(
            &s.ctx,
            Sender::Member(MEMBER),
            Content::Application(VLBytes::from(&b"hi"[..])),
        ),
        &s.member.private,
        Some(&s.ctx),
    )
    .unwrap();
    assert_eq!(
        PublicMessage::protect(ac, &s.ctx, Some(&s.membership_key)),
        Err(Error::ApplicationDataInPublicMessage)
    );
    // A commit needs its confirmation tag, a proposal must not have one.
    let ac = AuthenticatedContent::sign(
        WireFormat::PublicMessage,
        framed(&s.ctx, Sender::Member(MEMBER), commit()),
        &s.member.private,
        Some(&s.ctx),
    )
    .unwrap();
    assert_eq!(
        PublicMessage::protect(ac, &s.ctx, Some(&s.membership_key)),
        Err(Error::MissingConfirmationTag)
    );
    let mut ac = AuthenticatedContent::sign(
        WireFormat::PublicMessage,
        framed(&s.ctx, Sender::Member(MEMBER), remove(0)),
        &s.member.private,
        Some(&s.ctx),
    )
    .unwrap();
    ac.auth.confirmation_tag = Some([0; 32].into());
    assert_eq!(
        PublicMessage::protect(ac.clone(), &s.ctx, Some(&s.membership_key)),
        Err(Error::UnexpectedConfirmationTag)
    );
    // Content signed for the other wire format.
    ac.auth.confirmation_tag = None;
    ac.wire_format = WireFormat::PrivateMessage;
    assert_eq!(
        PublicMessage::protect(ac, &s.ctx, Some(&s.membership_key)),
        Err(Error::WrongWireFormat {
            expected: 1,
            got: 2
        })
    );
    // A member's signature needs the group context.
    assert_eq!(
        AuthenticatedContent::sign(
            WireFormat::PublicMessage,
            framed(&s.ctx, Sender::Member(MEMBER), remove(0)),
            &s.member.private,
            None,
        ),
        Err(Error::MissingGroupContext)
    );
}

#[test]
fn private_handshake_round_trip_and_rejections() {
    let s = setup();
    for content in [remove(5), commit()] {
        let wire = s.private(content.clone(), &s.member, 12);
        assert_truncation_and_trailing_rejected::<MLSMessage>(&wire);
        let m = decode_private(&wire);
        let ac = s.unprotect_private(&m).unwrap();
        assert_eq!(ac.content.content, content);
        assert_eq!(ac.content.sender, Sender::Member(MEMBER));
        assert_eq!(ac.wire_format, WireFormat::PrivateMessage);

        // The last byte of the ciphertext is in the AEAD tag (the sender data key comes from the
        // first Nh bytes, so it still opens).
        let mut bad = m.clone();
        let n = bad.ciphertext.0.len();
        bad.ciphertext.0[n - 1] ^= 1;
        assert_eq!(
            s.unprotect_private(&bad),
            Err(Error::ContentDecryptionFailed)
        );
        // A flipped first ciphertext byte changes the sender data key.
        let mut bad = m.clone();
        bad.ciphertext.0[0] ^= 1;
        assert_eq!(
            s.unprotect_private(&bad),
            Err(Error::SenderDataDecryptionFailed)
        );
        let mut bad = m.clone();
        bad.encrypted_sender_data.0[3] ^= 1;
        assert_eq!(
            s.unprotect_private(&bad),
            Err(Error::SenderDataDecryptionFailed)
        );
        // The AAD covers the authenticated data.
        let mut bad = m.clone();
        bad.authenticated_data = VLBytes::from(&b"AD"[..]);
        assert_eq!(
            s.unprotect_private(&bad),
            Err(Error::ContentDecryptionFailed)
        );
        // Signed by another key.
        let forged = decode_private(&s.private(content.clone(), &s.other, 0));
        assert_eq!(s.unprotect_private(&forged), Err(Error::InvalidSignature));
        // Wrong epoch is refused before decryption.
        let mut bad = m.clone();
        bad.epoch += 1;
        assert_eq!(
            s.unprotect_private(&bad),
            Err(Error::WrongEpoch {
                expected: 17,
                got: 18
            })
        );
        // A key of the wrong generation.
        let sd = m.decrypt_sender_data::<S>(&s.sender_data_secret).unwrap();
        assert_eq!(sd.leaf_index, MEMBER);
        let wrong: KeyNonce<S> = s
            .tree()
            .take_key(MEMBER, RatchetType::Handshake, sd.generation + 1)
            .unwrap();
        assert_eq!(
            m.decrypt::<S>(&sd, &wrong),
            Err(Error::ContentDecryptionFailed)
        );
    }
}

/// FramedContent signatures with a torsion component in R (the cofactored RFC 8032 equation
/// holds, ed25519-dalek's `verify_strict` rejects them, see `torsion_signature`) are rejected
/// in PublicMessage and PrivateMessage, handshake and application, on the general path and on
/// the application buffer path: vmls accepts what OpenMLS accepts (docs/spec-decisions.md).
#[test]
fn torsion_signatures_are_rejected_in_every_framing() {
    let s = setup();
    let seed = s.member.private.to_bytes();
    let torsion_signed = |wire_format: WireFormat, content: Content| {
        let mut ac = AuthenticatedContent::sign(
            wire_format,
            framed(&s.ctx, Sender::Member(MEMBER), content),
            &s.member.private,
            Some(&s.ctx),
        )
        .unwrap();
        let tbs = FramedContentTBS::new(wire_format, &ac.content, Some(&s.ctx))
            .unwrap()
            .to_bytes()
            .unwrap();
        ac.auth.signature.0 = torsion_signature(&seed, b"FramedContentTBS", &tbs);
        ac
    };
    for content in [remove(2), commit()] {
        let mut ac = torsion_signed(WireFormat::PublicMessage, content);
        if ac.content.content_type() == ContentType::Commit {
            ac.auth.confirmation_tag = Some([0x77; 32].into());
        }
        let wire =
            public_wire(PublicMessage::protect(ac, &s.ctx, Some(&s.membership_key)).unwrap());
        assert_eq!(
            decode_public(&wire).unprotect(&s.member.public, &s.ctx, Some(&s.membership_key)),
            Err(Error::InvalidSignature)
        );
    }
    let app = Content::Application(VLBytes::from(&[0x5au8; 40][..]));
    for content in [commit(), app.clone()] {
        let wire = s.private_from(torsion_signed(WireFormat::PrivateMessage, content), 0);
        assert_eq!(
            s.unprotect_private(&decode_private(&wire)),
            Err(Error::InvalidSignature)
        );
    }
    // The application buffer path, with the honestly signed message as the control.
    let open_app = |wire: &[u8]| {
        let ctx = EncodedGroupContext::new(&s.ctx).unwrap();
        let mut tree = s.tree();
        let mut out = vec![0u8; wire.len()];
        decrypt_application_into::<S, _>(
            &ctx,
            &s.sender_data_secret,
            wire,
            |sd| {
                Ok((
                    tree.take_key(sd.leaf_index, RatchetType::Application, sd.generation)?,
                    s.member.public,
                ))
            },
            &mut out,
        )
        .map(|r| r.generation)
    };
    assert_eq!(open_app(&s.private(app.clone(), &s.member, 0)), Ok(0));
    let wire = s.private_from(torsion_signed(WireFormat::PrivateMessage, app), 0);
    assert_eq!(open_app(&wire), Err(Error::InvalidSignature));
}

#[test]
fn private_message_only_for_members() {
    let s = setup();
    let ac = AuthenticatedContent::sign(
        WireFormat::PrivateMessage,
        framed(&s.ctx, Sender::External(0), remove(1)),
        &s.other.private,
        None,
    )
    .unwrap();
    let (g, key) = s.tree().next_send_key(0, RatchetType::Handshake).unwrap();
    assert_eq!(
        PrivateMessage::protect::<S, _>(&ac, g, &key, &s.sender_data_secret, 0, &mut rng(2)),
        Err(Error::SenderNotMember)
    );
}

/// Builds a PrivateMessage by hand (AEADs applied here, not by the library) whose plaintext has
/// `padding` after a valid auth; the library must reject any non-zero padding byte.
fn hand_made_private(s: &Setup, padding: &[u8]) -> PrivateMessage {
    let content = Content::Application(VLBytes::from(&b"payload"[..]));
    let ac = AuthenticatedContent::sign(
        WireFormat::PrivateMessage,
        framed(&s.ctx, Sender::Member(MEMBER), content.clone()),
        &s.member.private,
        Some(&s.ctx),
    )
    .unwrap();
    // application_data<V> || signature<V> || padding
    let mut plaintext = Vec::new();
    content.encode_body(&mut plaintext).unwrap();
    ac.auth.encode(&mut plaintext).unwrap();
    plaintext.extend_from_slice(padding);
    // PrivateContentAAD
    let mut aad = Vec::new();
    vmls_codec::encode_opaque(&mut aad, &s.ctx.group_id).unwrap();
    aad.extend_from_slice(&s.ctx.epoch.to_be_bytes());
    aad.push(1);
    vmls_codec::encode_opaque(&mut aad, b"ad").unwrap();
    let (g, key) = s
        .tree()
        .next_send_key(MEMBER, RatchetType::Application)
        .unwrap();
    let guard = [1, 2, 3, 4];
    let ciphertext = S::seal(key.key(), &key.guarded_nonce(&guard), &aad, &plaintext).unwrap();
    let sd_key =
        vmls_keyschedule::sender_data_key_nonce::<S>(&s.sender_data_secret, &ciphertext).unwrap();
    let mut sd = Vec::new();
    sd.extend_from_slice(&MEMBER.to_be_bytes());
    sd.extend_from_slice(&g.to_be_bytes());
    sd.extend_from_slice(&guard);
    let sd_aad = &aad[..aad.len() - 3];
    let esd = S::seal(sd_key.key(), sd_key.nonce(), sd_aad, &sd).unwrap();
    PrivateMessage {
        group_id: s.ctx.group_id.clone(),
        epoch: s.ctx.epoch,
        content_type: ContentType::Application,
        authenticated_data: VLBytes::from(&b"ad"[..]),
        encrypted_sender_data: esd.into(),
        ciphertext: ciphertext.into(),
    }
}

#[test]
fn padding_must_be_zero() {
    let s = setup();
    let ctx = EncodedGroupContext::new(&s.ctx).unwrap();
    let open_buffer = |m: &PrivateMessage| {
        let wire = MLSMessage::new(MLSMessageBody::PrivateMessage(m.clone()))
            .to_bytes()
            .unwrap();
        let mut tree = s.tree();
        let mut out = vec![0u8; wire.len()];
        let pk = s.member.public;
        decrypt_application_into::<S, _>(
            &ctx,
            &s.sender_data_secret,
            &wire,
            |sd| {
                Ok((
                    tree.take_key(sd.leaf_index, RatchetType::Application, sd.generation)?,
                    pk,
                ))
            },
            &mut out,
        )
        .map(|r| out[..r.len].to_vec())
    };
    // All-zero padding is accepted by both paths.
    let good = hand_made_private(&s, &[0; 9]);
    let ac = s.unprotect_private(&good).unwrap();
    assert_eq!(
        ac.content.content,
        Content::Application(VLBytes::from(&b"payload"[..]))
    );
    assert_eq!(open_buffer(&good).unwrap(), b"payload");
    // One non-zero byte anywhere in the padding is rejected by both.
    for pos in [0, 4, 8] {
        let mut padding = [0u8; 9];
        padding[pos] = 0x80;
        let bad = hand_made_private(&s, &padding);
        assert_eq!(s.unprotect_private(&bad), Err(Error::NonZeroPadding));
        assert_eq!(open_buffer(&bad), Err(Error::NonZeroPadding));
    }
    // The parser alone.
    let mut pt = Vec::new();
    Content::Application(VLBytes::from(&b"x"[..]))
        .encode_body(&mut pt)
        .unwrap();
    vmls_group::FramedContentAuthData {
        signature: [5; 64].into(),
        confirmation_tag: None,
    }
    .encode(&mut pt)
    .unwrap();
    let parsed = PrivateMessageContent::decode_plaintext(&pt, ContentType::Application).unwrap();
    assert_eq!(parsed.padding, 0);
    pt.extend_from_slice(&[0, 0, 1]);
    assert_eq!(
        PrivateMessageContent::decode_plaintext(&pt, ContentType::Application),
        Err(Error::NonZeroPadding)
    );
    // A commit plaintext needs the confirmation tag after the signature.
    assert!(matches!(
        PrivateMessageContent::decode_plaintext(&pt[..pt.len() - 3], ContentType::Proposal),
        Err(Error::Codec(_))
    ));
}

#[test]
fn application_buffer_path() {
    let s = setup();
    let ctx = EncodedGroupContext::new(&s.ctx).unwrap();
    assert_eq!(ctx.group_id(), s.ctx.group_id.as_slice());
    assert_eq!(ctx.epoch(), 17);
    let signer = PreparedSigner::new(&s.member.private);
    let sender = ApplicationSender {
        context: &ctx,
        leaf_index: MEMBER,
        signer: &signer,
        sender_data_secret: &s.sender_data_secret,
    };
    let payload = vec![0x5au8; 300];
    let len = application_message_len(s.ctx.group_id.len(), 2, payload.len(), 5);
    let mut sender_tree = s.tree();
    let (g, key) = sender_tree
        .next_send_key(MEMBER, RatchetType::Application)
        .unwrap();

    // Too small a buffer.
    let mut small = vec![0u8; len - 1];
    assert_eq!(
        encrypt_application_into::<S, _>(
            &sender,
            g,
            &key,
            b"ad",
            &payload,
            5,
            &mut rng(3),
            &mut small
        ),
        Err(Error::BufferTooSmall { needed: len })
    );
    let mut wire = vec![0u8; len + 10];
    let n = encrypt_application_into::<S, _>(
        &sender,
        g,
        &key,
        b"ad",
        &payload,
        5,
        &mut rng(3),
        &mut wire,
    )
    .unwrap();
    assert_eq!(n, len);
    wire.truncate(n);
    assert_truncation_and_trailing_rejected::<MLSMessage>(&wire);

    let open = |wire: &[u8], pk: [u8; 32], ctx: &EncodedGroupContext, out: &mut [u8]| {
        let mut tree = s.tree();
        decrypt_application_into::<S, _>(
            ctx,
            &s.sender_data_secret,
            wire,
            |sd| {
                Ok((
                    tree.take_key(sd.leaf_index, RatchetType::Application, sd.generation)?,
                    pk,
                ))
            },
            out,
        )
        .map(|r| {
            (
                r.sender,
                r.generation,
                r.authenticated_data.to_vec(),
                out[..r.len].to_vec(),
            )
        })
    };
    let mut out = vec![0u8; n];
    let (sender_leaf, generation, ad, data) = open(&wire, s.member.public, &ctx, &mut out).unwrap();
    assert_eq!(
        (sender_leaf, generation, ad.as_slice()),
        (MEMBER, 0, &b"ad"[..])
    );
    assert_eq!(data, payload);

    // The general path reads the same message.
    let ac = s.unprotect_private(&decode_private(&wire)).unwrap();
    assert_eq!(
        ac.content.content,
        Content::Application(payload.clone().into())
    );
    assert_eq!(ac.content.authenticated_data.as_slice(), b"ad");

    // Truncated input, a wrong signer, a flipped tag byte, a flipped sender-data byte, another
    // epoch, a small output buffer.
    let mut out = vec![0u8; n];
    assert!(matches!(
        open(&wire[..n - 1], s.member.public, &ctx, &mut out),
        Err(Error::Codec(_))
    ));
    assert_eq!(
        open(&wire, s.other.public, &ctx, &mut out),
        Err(Error::InvalidSignature)
    );
    assert!(
        out.iter().all(|b| *b == 0),
        "output not wiped after a failure"
    );
    let mut bad = wire.clone();
    bad[n - 1] ^= 1;
    assert_eq!(
        open(&bad, s.member.public, &ctx, &mut out),
        Err(Error::ContentDecryptionFailed)
    );
    let view = PrivateMessageView::parse(&wire).unwrap();
    assert_eq!(view.authenticated_data(), b"ad");
    let esd_pos = n - (payload.len() + 2 + 66 + 5 + 16) - 2 - 10;
    let mut bad = wire.clone();
    bad[esd_pos] ^= 1;
    assert_eq!(
        open(&bad, s.member.public, &ctx, &mut out),
        Err(Error::SenderDataDecryptionFailed)
    );
    let other_epoch = EncodedGroupContext::new(&context(18)).unwrap();
    assert_eq!(
        open(&wire, s.member.public, &other_epoch, &mut out),
        Err(Error::WrongEpoch {
            expected: 18,
            got: 17
        })
    );
    let mut tiny = vec![0u8; 10];
    assert!(matches!(
        open(&wire, s.member.public, &ctx, &mut tiny),
        Err(Error::BufferTooSmall { .. })
    ));
    // A handshake message is not application data.
    let hs = s.private(remove(1), &s.member, 0);
    assert_eq!(
        open(&hs, s.member.public, &ctx, &mut out),
        Err(Error::WrongContentType {
            expected: 1,
            got: 2
        })
    );
    // A PublicMessage is not a PrivateMessage.
    let pubm = s.public(Sender::Member(MEMBER), remove(1), &s.member);
    assert_eq!(
        PrivateMessageView::parse(&pubm).unwrap_err(),
        Error::WrongWireFormat {
            expected: 2,
            got: 1
        }
    );
}

#[test]
fn unknown_enum_values_are_typed_errors() {
    use vmls_codec::Error as C;
    let s = setup();
    let wire = s.public(Sender::Member(MEMBER), remove(2), &s.member);
    // MLSMessage: version (2) || wire_format (2) || group_id<V> || epoch (8) || sender_type ...
    let gid = s.ctx.group_id.len();
    let sender_type = 4 + 1 + gid + 8;
    let content_type = sender_type + 5 + 1 + 2;
    let mut bad = wire.clone();
    bad[1] = 2;
    assert_eq!(MLSMessage::decode_exact(&bad), Err(C::InvalidEnum(2)));
    let mut bad = wire.clone();
    bad[3] = 6;
    assert_eq!(MLSMessage::decode_exact(&bad), Err(C::InvalidEnum(6)));
    let mut bad = wire.clone();
    bad[sender_type] = 5;
    assert_eq!(MLSMessage::decode_exact(&bad), Err(C::InvalidEnum(5)));
    let mut bad = wire.clone();
    assert_eq!(bad[content_type], 2);
    bad[content_type] = 4;
    assert_eq!(MLSMessage::decode_exact(&bad), Err(C::InvalidEnum(4)));
    // proposal_type follows the content type
    let mut bad = wire.clone();
    bad[content_type + 2] = 8;
    assert_eq!(MLSMessage::decode_exact(&bad), Err(C::InvalidEnum(8)));
    // ProposalOrRef type 3, ContentType 0.
    assert_eq!(
        vmls_group::ProposalOrRef::decode_exact(&[3]),
        Err(C::InvalidEnum(3))
    );
    assert_eq!(ContentType::decode_exact(&[0]), Err(C::InvalidEnum(0)));
    assert_eq!(WireFormat::decode_exact(&[0, 0]), Err(C::InvalidEnum(0)));
}

#[test]
fn transcript_hashes_follow_rfc_8_2() {
    let s = setup();
    let mut ac = AuthenticatedContent::sign(
        WireFormat::PublicMessage,
        framed(&s.ctx, Sender::Member(MEMBER), commit()),
        &s.member.private,
        Some(&s.ctx),
    )
    .unwrap();
    let interim_prev = [0x10u8; 32];
    // ConfirmedTranscriptHashInput = wire_format || FramedContent || signature<V>, hashed after
    // the previous interim hash.
    let mut input = interim_prev.to_vec();
    input.extend_from_slice(&1u16.to_be_bytes());
    input.extend_from_slice(&ac.content.to_bytes().unwrap());
    input.push(0x40);
    input.push(64);
    input.extend_from_slice(ac.auth.signature.as_slice());
    let confirmed = ac.confirmed_transcript_hash(&interim_prev).unwrap();
    assert_eq!(confirmed, vmls_crypto::hash(&input));
    assert_eq!(
        ac.interim_transcript_hash(&confirmed),
        Err(Error::MissingConfirmationTag)
    );
    let key = Secret::from_bytes([0x21; 32]);
    ac.auth.confirmation_tag = Some(vmls_crypto::mac(key.as_bytes(), &confirmed).into());
    ac.verify_confirmation_tag(&key, &confirmed).unwrap();
    assert_eq!(
        ac.verify_confirmation_tag(&Secret::from_bytes([0x22; 32]), &confirmed),
        Err(Error::InvalidConfirmationTag)
    );
    let mut interim_input = confirmed.to_vec();
    interim_input.push(32);
    interim_input.extend_from_slice(ac.auth.confirmation_tag.unwrap().as_slice());
    assert_eq!(
        ac.interim_transcript_hash(&confirmed).unwrap(),
        vmls_crypto::hash(&interim_input)
    );
    // A proposal has no transcript input.
    let p = AuthenticatedContent::sign(
        WireFormat::PublicMessage,
        framed(&s.ctx, Sender::Member(MEMBER), remove(0)),
        &s.member.private,
        Some(&s.ctx),
    )
    .unwrap();
    assert!(p.confirmed_transcript_hash_input().is_none());
    // ProposalRef = RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent).
    assert_eq!(
        p.make_proposal_ref().unwrap().0,
        vmls_crypto::ref_hash(b"MLS 1.0 Proposal Reference", &p.to_bytes().unwrap()).unwrap()
    );
    assert_truncation_and_trailing_rejected::<AuthenticatedContent>(&ac.to_bytes().unwrap());
}
