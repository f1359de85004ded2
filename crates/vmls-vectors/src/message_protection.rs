//! message-protection.json: unprotect the vector's PublicMessage and PrivateMessage for a
//! proposal, a commit and application data, and protect the raw values ourselves and unprotect
//! them again (RFC 9420 section 6). The sender is leaf 1 of a two-member secret tree.
use serde_json::Value;
use vmls_codec::{Decode, Encode, VLBytes};
use vmls_crypto::{CipherSuite, Mls128ChaCha, Secret, SignaturePrivateKey};
use vmls_group::{
    ApplicationSender, AuthenticatedContent, Commit, Content, EncodedGroupContext, Error,
    FramedContent, MLSMessage, MLSMessageBody, Mac, PreparedSigner, PrivateMessage, Proposal,
    PublicMessage, Sender, WireFormat, application_message_len, decrypt_application_into,
    encrypt_application_into,
};
use vmls_keyschedule::GroupContext;
use vmls_secret_tree::{RatchetType, SecretTree};

use crate::Outcome;
use crate::util::{TestRng, bytes, check_eq, outcome, require_suite, uint};

const SENDER: u32 = 1;

struct Params {
    context: GroupContext,
    signature_priv: SignaturePrivateKey,
    signature_pub: Vec<u8>,
    encryption_secret: Vec<u8>,
    sender_data_secret: Secret,
    membership_key: Secret,
}

fn secret(case: &Value, key: &str) -> Result<Secret, String> {
    Secret::from_slice(&bytes(case, key)?).ok_or_else(|| format!("{key} is not Nh bytes"))
}

fn tree<S: CipherSuite>(p: &Params) -> Result<SecretTree<S>, String> {
    let s = Secret::from_slice(&p.encryption_secret).ok_or("encryption_secret is not Nh bytes")?;
    SecretTree::new(s, 2).map_err(|e| e.to_string())
}

fn decode_message(case: &Value, field: &str) -> Result<MLSMessageBody, String> {
    let raw = bytes(case, field)?;
    let m = MLSMessage::decode_exact(&raw).map_err(|e| format!("{field}: decode: {e}"))?;
    check_eq(
        &format!("{field} re-encoded"),
        &m.to_bytes().map_err(|e| e.to_string())?,
        &raw,
    )?;
    Ok(m.body)
}

/// The content body's encoding (the raw Proposal / Commit / application data).
fn body_bytes(content: &Content) -> Result<Vec<u8>, String> {
    Ok(match content {
        Content::Application(a) => a.to_vec(),
        Content::Proposal(p) => p.to_bytes().map_err(|e| e.to_string())?,
        Content::Commit(c) => c.to_bytes().map_err(|e| e.to_string())?,
    })
}

fn kind(content: &Content) -> RatchetType {
    match content {
        Content::Application(_) => RatchetType::Application,
        _ => RatchetType::Handshake,
    }
}

/// Unprotects a PrivateMessage with a fresh secret tree.
fn unprotect_private<S: CipherSuite>(
    p: &Params,
    m: &PrivateMessage,
) -> Result<AuthenticatedContent, String> {
    let mut tree = tree::<S>(p)?;
    let pk: [u8; 32] = p
        .signature_pub
        .as_slice()
        .try_into()
        .map_err(|_| "bad signature_pub")?;
    m.unprotect::<S, _>(&p.sender_data_secret, &p.context, |sd, ct| {
        let kind = match ct {
            vmls_group::ContentType::Application => RatchetType::Application,
            _ => RatchetType::Handshake,
        };
        Ok((tree.take_key(sd.leaf_index, kind, sd.generation)?, pk))
    })
    .map_err(|e| format!("unprotect private: {e}"))
}

fn framed(p: &Params, content: Content) -> FramedContent {
    FramedContent {
        group_id: p.context.group_id.clone(),
        epoch: p.context.epoch,
        sender: Sender::Member(SENDER),
        authenticated_data: VLBytes::from(&b"vmls"[..]),
        content,
    }
}

/// One of `proposal` / `commit`: both wire formats, theirs and ours.
fn handshake<S: CipherSuite>(
    p: &Params,
    case: &Value,
    name: &str,
    raw: &[u8],
) -> Result<(), String> {
    // The vector's PublicMessage.
    let MLSMessageBody::PublicMessage(pubm) = decode_message(case, &format!("{name}_pub"))? else {
        return Err(format!("{name}_pub is not a PublicMessage"));
    };
    let tag: Option<Mac> = pubm.auth.confirmation_tag;
    let ac = pubm
        .clone()
        .unprotect(&p.signature_pub, &p.context, Some(&p.membership_key))
        .map_err(|e| format!("{name}_pub unprotect: {e}"))?;
    check_eq(
        &format!("{name}_pub content"),
        &body_bytes(&ac.content.content)?,
        raw,
    )?;
    if ac.content.sender != Sender::Member(SENDER) {
        return Err(format!("{name}_pub sender {:?}", ac.content.sender));
    }
    // A wrong membership key must fail.
    let wrong = Secret::from_bytes([0x42; 32]);
    if pubm.unprotect(&p.signature_pub, &p.context, Some(&wrong))
        != Err(Error::InvalidMembershipTag)
    {
        return Err(format!("{name}_pub: wrong membership key not rejected"));
    }

    // The vector's PrivateMessage.
    let MLSMessageBody::PrivateMessage(privm) = decode_message(case, &format!("{name}_priv"))?
    else {
        return Err(format!("{name}_priv is not a PrivateMessage"));
    };
    let ac = unprotect_private::<S>(p, &privm)?;
    check_eq(
        &format!("{name}_priv content"),
        &body_bytes(&ac.content.content)?,
        raw,
    )?;

    // Ours.
    let content = if name == "proposal" {
        Content::Proposal(Proposal::decode_exact(raw).map_err(|e| e.to_string())?)
    } else {
        Content::Commit(Commit::decode_exact(raw).map_err(|e| e.to_string())?)
    };
    let mut ac = AuthenticatedContent::sign(
        WireFormat::PublicMessage,
        framed(p, content.clone()),
        &p.signature_priv,
        Some(&p.context),
    )
    .map_err(|e| e.to_string())?;
    ac.auth.confirmation_tag = tag;
    let ours = PublicMessage::protect(ac.clone(), &p.context, Some(&p.membership_key))
        .map_err(|e| format!("protect public: {e}"))?;
    let wire = MLSMessage::new(MLSMessageBody::PublicMessage(ours))
        .to_bytes()
        .map_err(|e| e.to_string())?;
    let MLSMessageBody::PublicMessage(back) = MLSMessage::decode_exact(&wire)
        .map_err(|e| e.to_string())?
        .body
    else {
        return Err("our public message decodes as something else".into());
    };
    let got = back
        .unprotect(&p.signature_pub, &p.context, Some(&p.membership_key))
        .map_err(|e| format!("our {name} public unprotect: {e}"))?;
    if got != ac {
        return Err(format!("our {name} public message round trip differs"));
    }

    let mut ac = AuthenticatedContent::sign(
        WireFormat::PrivateMessage,
        framed(p, content.clone()),
        &p.signature_priv,
        Some(&p.context),
    )
    .map_err(|e| e.to_string())?;
    ac.auth.confirmation_tag = tag;
    let mut sender_tree = tree::<S>(p)?;
    let (generation, key) = sender_tree
        .next_send_key(SENDER, kind(&content))
        .map_err(|e| e.to_string())?;
    let ours = PrivateMessage::protect::<S, _>(
        &ac,
        generation,
        &key,
        &p.sender_data_secret,
        7,
        &mut TestRng::new(1),
    )
    .map_err(|e| format!("protect private: {e}"))?;
    let wire = MLSMessage::new(MLSMessageBody::PrivateMessage(ours))
        .to_bytes()
        .map_err(|e| e.to_string())?;
    let MLSMessageBody::PrivateMessage(back) = MLSMessage::decode_exact(&wire)
        .map_err(|e| e.to_string())?
        .body
    else {
        return Err("our private message decodes as something else".into());
    };
    let got = unprotect_private::<S>(p, &back)?;
    if got != ac {
        return Err(format!("our {name} private message round trip differs"));
    }
    Ok(())
}

fn application<S: CipherSuite>(p: &Params, case: &Value) -> Result<(), String> {
    let raw = bytes(case, "application")?;
    let pk: [u8; 32] = p
        .signature_pub
        .as_slice()
        .try_into()
        .map_err(|_| "bad signature_pub")?;

    // Protecting application data as a PublicMessage fails.
    let ac = AuthenticatedContent::sign(
        WireFormat::PublicMessage,
        framed(p, Content::Application(raw.clone().into())),
        &p.signature_priv,
        Some(&p.context),
    )
    .map_err(|e| e.to_string())?;
    if PublicMessage::protect(ac, &p.context, Some(&p.membership_key))
        != Err(Error::ApplicationDataInPublicMessage)
    {
        return Err("application data protected as a PublicMessage".into());
    }

    // The vector's PrivateMessage, through the general path and the buffer path.
    let wire = bytes(case, "application_priv")?;
    let MLSMessageBody::PrivateMessage(privm) = decode_message(case, "application_priv")? else {
        return Err("application_priv is not a PrivateMessage".into());
    };
    let ac = unprotect_private::<S>(p, &privm)?;
    check_eq(
        "application_priv content",
        &body_bytes(&ac.content.content)?,
        &raw,
    )?;
    let ctx = EncodedGroupContext::new(&p.context).map_err(|e| e.to_string())?;
    let open = |wire: &[u8]| -> Result<Vec<u8>, String> {
        let mut tree = tree::<S>(p)?;
        let mut out = vec![0u8; wire.len()];
        let got = decrypt_application_into::<S, _>(
            &ctx,
            &p.sender_data_secret,
            wire,
            |sd| {
                Ok((
                    tree.take_key(sd.leaf_index, RatchetType::Application, sd.generation)?,
                    pk,
                ))
            },
            &mut out,
        )
        .map_err(|e| format!("decrypt_application_into: {e}"))?;
        if got.sender != SENDER {
            return Err(format!("sender {}", got.sender));
        }
        out.truncate(got.len);
        Ok(out)
    };
    check_eq("application_priv (buffer path)", &open(&wire)?, &raw)?;

    // Ours through the general path.
    let ac = AuthenticatedContent::sign(
        WireFormat::PrivateMessage,
        framed(p, Content::Application(raw.clone().into())),
        &p.signature_priv,
        Some(&p.context),
    )
    .map_err(|e| e.to_string())?;
    let mut sender_tree = tree::<S>(p)?;
    let (generation, key) = sender_tree
        .next_send_key(SENDER, RatchetType::Application)
        .map_err(|e| e.to_string())?;
    let ours = PrivateMessage::protect::<S, _>(
        &ac,
        generation,
        &key,
        &p.sender_data_secret,
        0,
        &mut TestRng::new(2),
    )
    .map_err(|e| format!("protect private: {e}"))?;
    let ours_wire = MLSMessage::new(MLSMessageBody::PrivateMessage(ours.clone()))
        .to_bytes()
        .map_err(|e| e.to_string())?;
    if unprotect_private::<S>(p, &ours)? != ac {
        return Err("our application private message round trip differs".into());
    }
    check_eq("ours, opened by the buffer path", &open(&ours_wire)?, &raw)?;

    // Ours through the buffer path, opened by both paths.
    let signer = PreparedSigner::new(&p.signature_priv);
    let sender = ApplicationSender {
        context: &ctx,
        leaf_index: SENDER,
        signer: &signer,
        sender_data_secret: &p.sender_data_secret,
    };
    let mut sender_tree = tree::<S>(p)?;
    let (generation, key) = sender_tree
        .next_send_key(SENDER, RatchetType::Application)
        .map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; application_message_len(p.context.group_id.len(), 4, raw.len(), 3)];
    let n = encrypt_application_into::<S, _>(
        &sender,
        generation,
        &key,
        b"vmls",
        &raw,
        3,
        &mut TestRng::new(3),
        &mut buf,
    )
    .map_err(|e| format!("encrypt_application_into: {e}"))?;
    if n != buf.len() {
        return Err(format!("wrote {n} bytes, predicted {}", buf.len()));
    }
    check_eq(
        "ours (buffer path), opened by the buffer path",
        &open(&buf)?,
        &raw,
    )?;
    let MLSMessageBody::PrivateMessage(m) = MLSMessage::decode_exact(&buf)
        .map_err(|e| format!("our buffer-path message: {e}"))?
        .body
    else {
        return Err("our buffer-path message is not a PrivateMessage".into());
    };
    let got = unprotect_private::<S>(p, &m)?;
    check_eq(
        "ours (buffer path), general path",
        &body_bytes(&got.content.content)?,
        &raw,
    )?;
    if got.content.authenticated_data.as_slice() != b"vmls" {
        return Err("authenticated data lost".into());
    }
    Ok(())
}

fn run_suite<S: CipherSuite>(case: &Value, suite: u16) -> Result<(), String> {
    let signature_priv = SignaturePrivateKey::from_slice(&bytes(case, "signature_priv")?)
        .map_err(|e| e.to_string())?;
    let p = Params {
        context: GroupContext {
            version: 1,
            cipher_suite: suite,
            group_id: bytes(case, "group_id")?.into(),
            epoch: uint(case, "epoch")?,
            tree_hash: bytes(case, "tree_hash")?.into(),
            confirmed_transcript_hash: bytes(case, "confirmed_transcript_hash")?.into(),
            extensions: Vec::new(),
        },
        signature_pub: bytes(case, "signature_pub")?,
        signature_priv,
        encryption_secret: bytes(case, "encryption_secret")?,
        sender_data_secret: secret(case, "sender_data_secret")?,
        membership_key: secret(case, "membership_key")?,
    };
    check_eq(
        "signature_pub from signature_priv",
        &p.signature_priv.public_key(),
        &p.signature_pub,
    )?;
    handshake::<S>(&p, case, "proposal", &bytes(case, "proposal")?)?;
    handshake::<S>(&p, case, "commit", &bytes(case, "commit")?)?;
    application::<S>(&p, case)
}

pub fn run(case: &Value) -> Outcome {
    let suite = match require_suite(case) {
        Ok(s) => s,
        Err(o) => return o,
    };
    outcome(match suite {
        #[cfg(feature = "suite-1")]
        1 => run_suite::<vmls_crypto::Mls128Aes>(case, suite),
        _ => run_suite::<Mls128ChaCha>(case, suite),
    })
}
