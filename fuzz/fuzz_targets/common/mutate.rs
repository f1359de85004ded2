//! Structural mutations of a decoded `MLSMessage` (issue 21), driven by `arbitrary`: each one
//! changes one field of the decoded struct (epoch, group id, sender, authenticated data,
//! content type, one proposal of a Commit dropped, duplicated or swapped, the UpdatePath
//! truncated or changed, a proposal's field, the signature, a re-signature with a wrong key,
//! the confirmation or membership tag, a PrivateMessage's header or ciphertext), then the
//! message is re-encoded. Raw edits after encoding (version, wire format, truncation) are
//! the last step. None of these can make a valid message for a receiver: the harness has no
//! membership key, no secret-tree key and signs only with a key that is not the sender's.
#![allow(dead_code)]

use arbitrary::{Result, Unstructured};
use vmls_codec::VLBytes;
use vmls_crypto::SignaturePrivateKey;
use vmls_group::{
    AuthenticatedContent, Commit, Content, ContentType, MLSMessage, MLSMessageBody, Proposal,
    ProposalOrRef, PublicMessage, Remove, Sender, WireFormat,
};
use vmls_keyschedule::GroupContext;
use vmls_tree::LeafNodeSource;

/// What a mutation may use: a signing key that is not the sender's, and the receiver's
/// GroupContext (what a member's signature covers).
pub struct Ctx<'a> {
    pub wrong_key: &'a SignaturePrivateKey,
    pub context: &'a GroupContext,
}

fn flip(u: &mut Unstructured<'_>, bytes: &mut [u8]) -> Result<()> {
    if !bytes.is_empty() {
        let i = u.choose_index(bytes.len())?;
        let x: u8 = u.arbitrary()?;
        bytes[i] ^= x | 1;
    }
    Ok(())
}

fn vl(u: &mut Unstructured<'_>, v: &mut VLBytes) -> Result<()> {
    match u.int_in_range(0u8..=3)? {
        0 => flip(u, &mut v.0)?,
        1 => {
            let n = u.choose_index(v.0.len() + 1)?;
            v.0.truncate(n);
        }
        2 => v.0.push(u.arbitrary()?),
        _ => v.0 = u.arbitrary::<Vec<u8>>()?,
    }
    Ok(())
}

fn epoch(u: &mut Unstructured<'_>, e: &mut u64) -> Result<()> {
    *e = match u.int_in_range(0u8..=3)? {
        0 => e.wrapping_add(1),
        1 => e.wrapping_sub(1),
        2 => u64::MAX,
        _ => u.arbitrary()?,
    };
    Ok(())
}

fn mutate_commit(u: &mut Unstructured<'_>, c: &mut Commit) -> Result<()> {
    let n = c.proposals.len();
    match u.int_in_range(0u8..=9)? {
        0 if n > 0 => {
            let i = u.choose_index(n)?;
            c.proposals.remove(i);
        }
        1 if n > 0 => {
            let i = u.choose_index(n)?;
            let p = c.proposals[i].clone();
            c.proposals.insert(i, p);
        }
        2 if n > 1 => {
            let (i, j) = (u.choose_index(n)?, u.choose_index(n)?);
            c.proposals.swap(i, j);
        }
        3 => c.path = None,
        4 => {
            if let Some(p) = &mut c.path {
                let k = u.choose_index(p.nodes.len() + 1)?;
                p.nodes.truncate(k);
            }
        }
        5 => {
            if let Some(p) = &mut c.path {
                flip(u, &mut p.leaf_node.content.encryption_key.0)?;
            }
        }
        6 => {
            if let Some(p) = &mut c.path {
                p.leaf_node.content.leaf_node_source = match u.int_in_range(0u8..=2)? {
                    0 => LeafNodeSource::Update,
                    1 => LeafNodeSource::Commit(vmls_codec::SmallVLBytes::new(&[0u8; 32])),
                    _ => LeafNodeSource::KeyPackage(vmls_tree::Lifetime {
                        not_before: 0,
                        not_after: 1,
                    }),
                };
            }
        }
        7 => {
            if let Some(p) = &mut c.path
                && let Some(node) = p.nodes.first_mut()
            {
                if u.arbitrary()? {
                    flip(u, &mut node.encryption_key.0)?;
                } else if let Some(ct) = node.encrypted_path_secret.first_mut() {
                    vl(u, &mut ct.ciphertext)?;
                } else {
                    node.encrypted_path_secret.clear();
                }
            }
        }
        8 if n > 0 => {
            let i = u.choose_index(n)?;
            match &mut c.proposals[i] {
                ProposalOrRef::Reference(r) => flip(u, &mut r.0)?,
                ProposalOrRef::Proposal(p) => mutate_proposal(u, p)?,
            }
        }
        _ => c
            .proposals
            .push(ProposalOrRef::Proposal(Box::new(Proposal::Remove(
                Remove {
                    removed: u.int_in_range(0..=4)?,
                },
            )))),
    }
    Ok(())
}

fn mutate_proposal(u: &mut Unstructured<'_>, p: &mut Proposal) -> Result<()> {
    match p {
        Proposal::Remove(r) => r.removed = u.int_in_range(0..=8)?,
        Proposal::Update(up) => {
            if u.arbitrary()? {
                flip(u, &mut up.leaf_node.content.encryption_key.0)?;
            } else {
                flip(u, &mut up.leaf_node.signature.0)?;
            }
        }
        Proposal::Add(a) => match u.int_in_range(0u8..=2)? {
            0 => flip(u, &mut a.key_package.signature.0)?,
            1 => a.key_package.tbs.cipher_suite ^= 2,
            _ => flip(u, &mut a.key_package.tbs.leaf_node.content.encryption_key.0)?,
        },
        other => {
            *other = Proposal::Remove(Remove {
                removed: u.int_in_range(0..=4)?,
            })
        }
    }
    Ok(())
}

fn mutate_public(u: &mut Unstructured<'_>, pm: &mut PublicMessage, ctx: &Ctx<'_>) -> Result<()> {
    match u.int_in_range(0u8..=12)? {
        0 => epoch(u, &mut pm.content.epoch)?,
        1 => vl(u, &mut pm.content.group_id)?,
        2 => {
            pm.content.sender = match u.int_in_range(0u8..=3)? {
                0 => Sender::Member(u.int_in_range(0..=5)?),
                1 => Sender::External(u.int_in_range(0..=2)?),
                2 => Sender::NewMemberCommit,
                _ => Sender::NewMemberProposal,
            };
            // Keep the message decodable: the membership tag is present for members only.
            match pm.content.sender {
                Sender::Member(_) if pm.membership_tag.is_none() => {
                    pm.membership_tag = Some(Default::default())
                }
                Sender::Member(_) => {}
                _ => pm.membership_tag = None,
            }
        }
        3 => vl(u, &mut pm.content.authenticated_data)?,
        4 => {
            // Swap the content type (the confirmation tag follows it, to stay decodable).
            pm.content.content = match u.int_in_range(0u8..=2)? {
                0 => Content::Application(u.arbitrary::<Vec<u8>>()?.into()),
                1 => Content::Proposal(Proposal::Remove(Remove {
                    removed: u.int_in_range(0..=4)?,
                })),
                _ => Content::Commit(Commit {
                    proposals: Vec::new(),
                    path: None,
                }),
            };
            let commit = pm.content.content_type() == ContentType::Commit;
            if commit && pm.auth.confirmation_tag.is_none() {
                pm.auth.confirmation_tag = Some(Default::default());
            } else if !commit {
                pm.auth.confirmation_tag = None;
            }
        }
        5 => match &mut pm.content.content {
            Content::Commit(c) => mutate_commit(u, c)?,
            Content::Proposal(p) => mutate_proposal(u, p)?,
            Content::Application(a) => vl(u, a)?,
        },
        6 => flip(u, &mut pm.auth.signature.0)?,
        7 | 8 => {
            // Re-sign (whatever was changed so far) with a key that is not the sender's.
            let signed = AuthenticatedContent::sign(
                WireFormat::PublicMessage,
                pm.content.clone(),
                ctx.wrong_key,
                Some(ctx.context),
            )
            .map_err(|_| arbitrary::Error::IncorrectFormat)?;
            pm.auth.signature = signed.auth.signature;
        }
        9 => match &mut pm.auth.confirmation_tag {
            Some(t) => flip(u, &mut t.0)?,
            None => pm.auth.confirmation_tag = Some(Default::default()),
        },
        10 => match &mut pm.membership_tag {
            Some(t) => flip(u, &mut t.0)?,
            None => pm.membership_tag = Some(Default::default()),
        },
        _ => {
            if let Some(t) = &mut pm.membership_tag {
                t.0 = [0; 32];
            }
        }
    }
    Ok(())
}

/// Applies the mutations `u` describes to `msg` and returns the encoding.
pub fn mutate(u: &mut Unstructured<'_>, msg: &MLSMessage, ctx: &Ctx<'_>) -> Result<Vec<u8>> {
    let mut m = msg.clone();
    let rounds = u.int_in_range(1u8..=3)?;
    for _ in 0..rounds {
        match &mut m.body {
            MLSMessageBody::PublicMessage(pm) => mutate_public(u, pm, ctx)?,
            MLSMessageBody::PrivateMessage(pm) => match u.int_in_range(0u8..=6)? {
                0 => epoch(u, &mut pm.epoch)?,
                1 => vl(u, &mut pm.group_id)?,
                2 => {
                    pm.content_type = match pm.content_type {
                        ContentType::Application => ContentType::Commit,
                        ContentType::Commit => ContentType::Proposal,
                        ContentType::Proposal => ContentType::Application,
                    }
                }
                3 => vl(u, &mut pm.authenticated_data)?,
                4 => vl(u, &mut pm.encrypted_sender_data)?,
                _ => vl(u, &mut pm.ciphertext)?,
            },
            _ => {}
        }
    }
    let mut bytes =
        vmls_codec::Encode::to_bytes(&m).map_err(|_| arbitrary::Error::IncorrectFormat)?;
    // A raw edit of the framing last, sometimes.
    match u.int_in_range(0u8..=7).unwrap_or(0) {
        1 => bytes[1] ^= 2,                     // version
        2 => bytes[3] = u.int_in_range(1..=6)?, // wire format
        3 => {
            let n = u.choose_index(bytes.len())?;
            bytes.truncate(n);
        }
        4 => bytes.push(0),
        _ => {}
    }
    Ok(bytes)
}
