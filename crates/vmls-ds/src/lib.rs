//! An in-memory Delivery Service for tests, the CLI and the demo (RFC 9750 section 5): a
//! per-group total order of handshake messages (a commit for an epoch other than the group's
//! current one is refused), fan-out to every member queue, one queue per client (a virtual
//! client's queue is read by all its emulators: each keeps its own read cursor), and Welcome
//! delivery. Not library API: nothing here is secure or bounded.
use std::collections::BTreeMap;

/// Why the Delivery Service refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DsError {
    /// A commit for another epoch than the group's current one (another commit won).
    StaleCommit {
        /// Epoch of the commit.
        got: u64,
        /// The group's epoch at the DS.
        current: u64,
    },
    /// The group is unknown to the DS.
    UnknownGroup,
    /// The message header does not parse.
    Malformed,
}

/// One queue: every message in order; readers keep their own cursors.
#[derive(Debug, Default, Clone)]
struct Queue {
    messages: Vec<Vec<u8>>,
    cursors: BTreeMap<String, usize>,
}

#[derive(Debug, Default, Clone)]
struct GroupEntry {
    epoch: u64,
    members: Vec<String>,
}

/// Traffic counters (for cost reports): what senders uploaded and what readers downloaded.
/// A message uploaded once and fanned out to n queues counts once in `sent_*` and once per
/// queue it was appended to in `fanned_out_*`; a queue read by several readers (a virtual
/// client's emulators) counts once per reader in `received_*`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Traffic {
    /// Messages uploaded ([`DeliveryService::send`] and [`DeliveryService::send_to`]).
    pub sent_messages: u64,
    /// Bytes uploaded.
    pub sent_bytes: u64,
    /// Queue entries created by fan-out (one per member queue, the sender's included).
    pub fanned_out_messages: u64,
    /// Bytes of those entries.
    pub fanned_out_bytes: u64,
    /// Messages handed to readers by [`DeliveryService::read`].
    pub received_messages: u64,
    /// Bytes handed to readers.
    pub received_bytes: u64,
}

impl Traffic {
    /// `self - earlier`, field by field.
    pub fn since(&self, earlier: &Traffic) -> Traffic {
        Traffic {
            sent_messages: self.sent_messages.saturating_sub(earlier.sent_messages),
            sent_bytes: self.sent_bytes.saturating_sub(earlier.sent_bytes),
            fanned_out_messages: self
                .fanned_out_messages
                .saturating_sub(earlier.fanned_out_messages),
            fanned_out_bytes: self
                .fanned_out_bytes
                .saturating_sub(earlier.fanned_out_bytes),
            received_messages: self
                .received_messages
                .saturating_sub(earlier.received_messages),
            received_bytes: self.received_bytes.saturating_sub(earlier.received_bytes),
        }
    }
}

/// The Delivery Service.
#[derive(Debug, Default, Clone)]
pub struct DeliveryService {
    groups: BTreeMap<Vec<u8>, GroupEntry>,
    queues: BTreeMap<String, Queue>,
    traffic: Traffic,
}

/// Header fields of a PublicMessage / PrivateMessage / CBAM: (group_id, epoch, is_commit).
/// A PrivateMessage's content type is in the clear; a PublicMessage's follows the sender.
pub fn header(message: &[u8]) -> Option<(Vec<u8>, u64, bool)> {
    let mut r = vmls_codec::Reader::new(message);
    let _version = r.take(2).ok()?;
    let wf = u16::from_be_bytes(r.read_array::<2>().ok()?);
    let group_id = r.read_opaque().ok()?.to_vec();
    let epoch = u64::from_be_bytes(r.read_array::<8>().ok()?);
    let is_commit = match wf {
        // PublicMessage: sender { uint8 type; ... }, authenticated_data<V>, content_type
        1 => {
            let sender_type = r.read_array::<1>().ok()?[0];
            match sender_type {
                1 | 2 => {
                    r.take(4).ok()?;
                }
                3 | 4 => {}
                _ => return None,
            }
            r.read_opaque().ok()?;
            r.read_array::<1>().ok()?[0] == 3
        }
        // PrivateMessage: content_type right after the epoch.
        2 => r.read_array::<1>().ok()?[0] == 3,
        0xF0CB => false,
        _ => return None,
    };
    Some((group_id, epoch, is_commit))
}

impl DeliveryService {
    /// An empty DS.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a group at `epoch` with its member queues.
    pub fn create_group(&mut self, group_id: &[u8], epoch: u64, members: &[&str]) {
        self.groups.insert(
            group_id.to_vec(),
            GroupEntry {
                epoch,
                members: members.iter().map(|m| m.to_string()).collect(),
            },
        );
        for m in members {
            self.queues.entry(m.to_string()).or_default();
        }
    }

    /// Adds a member queue to a group (after its Welcome).
    pub fn add_member(&mut self, group_id: &[u8], member: &str) {
        if let Some(g) = self.groups.get_mut(group_id)
            && !g.members.iter().any(|m| m == member)
        {
            g.members.push(member.to_string());
        }
        self.queues.entry(member.to_string()).or_default();
    }

    /// Removes a member queue from a group's fan-out.
    pub fn remove_member(&mut self, group_id: &[u8], member: &str) {
        if let Some(g) = self.groups.get_mut(group_id) {
            g.members.retain(|m| m != member);
        }
    }

    /// The traffic counted since the DS was made (or [`DeliveryService::reset_traffic`]).
    pub fn traffic(&self) -> Traffic {
        self.traffic
    }

    /// Sets the traffic counters to zero.
    pub fn reset_traffic(&mut self) {
        self.traffic = Traffic::default();
    }

    /// The members (queue names) of a group at the DS.
    pub fn members(&self, group_id: &[u8]) -> Vec<String> {
        self.groups
            .get(group_id)
            .map(|g| g.members.clone())
            .unwrap_or_default()
    }

    /// The group's current epoch at the DS.
    pub fn epoch(&self, group_id: &[u8]) -> Option<u64> {
        self.groups.get(group_id).map(|g| g.epoch)
    }

    /// Sends a group message: a commit must be for the current epoch (total order) and moves
    /// the group on; every message fans out to every member queue (the sender's included).
    pub fn send(&mut self, message: &[u8]) -> Result<(), DsError> {
        let (gid, epoch, is_commit) = header(message).ok_or(DsError::Malformed)?;
        let g = self.groups.get_mut(&gid).ok_or(DsError::UnknownGroup)?;
        if is_commit {
            if epoch != g.epoch {
                return Err(DsError::StaleCommit {
                    got: epoch,
                    current: g.epoch,
                });
            }
            g.epoch += 1;
        }
        let members = g.members.clone();
        let len = message.len() as u64;
        self.traffic.sent_messages += 1;
        self.traffic.sent_bytes += len;
        for m in members {
            self.traffic.fanned_out_messages += 1;
            self.traffic.fanned_out_bytes += len;
            self.queues
                .entry(m)
                .or_default()
                .messages
                .push(message.to_vec());
        }
        Ok(())
    }

    /// Delivers a Welcome (or any message) to one queue.
    pub fn send_to(&mut self, queue: &str, message: &[u8]) {
        let len = message.len() as u64;
        self.traffic.sent_messages += 1;
        self.traffic.sent_bytes += len;
        self.traffic.fanned_out_messages += 1;
        self.traffic.fanned_out_bytes += len;
        self.queues
            .entry(queue.to_string())
            .or_default()
            .messages
            .push(message.to_vec());
    }

    /// Starts `reader` on `queue` where `from` is now (a new emulator continues from the
    /// position of the one that provisioned it).
    pub fn start_reader_at(&mut self, queue: &str, reader: &str, from: &str) {
        let q = self.queues.entry(queue.to_string()).or_default();
        let at = q.cursors.get(from).copied().unwrap_or(0);
        q.cursors.insert(reader.to_string(), at);
    }

    /// The messages of `queue` that `reader` has not read yet (and marks them read).
    pub fn read(&mut self, queue: &str, reader: &str) -> Vec<Vec<u8>> {
        let q = self.queues.entry(queue.to_string()).or_default();
        let cursor = q.cursors.entry(reader.to_string()).or_insert(0);
        let out = q
            .messages
            .get(*cursor..)
            .map(<[_]>::to_vec)
            .unwrap_or_default();
        *cursor = q.messages.len();
        self.traffic.received_messages += out.len() as u64;
        self.traffic.received_bytes += out.iter().map(|m| m.len() as u64).sum::<u64>();
        out
    }
}
