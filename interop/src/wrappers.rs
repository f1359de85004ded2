//! Negative controls: adapters that misbehave on purpose. The suite must notice them.
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::party::{CommitRequest, CommitResult, Feature, HostileTarget, Party, Received, Res};

/// Which outgoing messages [`Corrupt`] damages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// KeyPackages.
    KeyPackage,
    /// Commits (including external commits).
    Commit,
    /// Proposals.
    Proposal,
    /// Application messages.
    Application,
    /// Welcomes.
    Welcome,
    /// GroupInfos.
    GroupInfo,
}

/// Every class.
pub const CLASSES: &[Class] = &[
    Class::KeyPackage,
    Class::Commit,
    Class::Proposal,
    Class::Application,
    Class::Welcome,
    Class::GroupInfo,
];

/// Flips the low bit of the last byte of every outgoing message of one class (the last byte
/// is always inside a signature, MAC or AEAD tag) and keeps the damaged messages.
pub struct Corrupt {
    /// The real party.
    pub inner: Box<dyn Party>,
    /// What to damage.
    pub class: Class,
    /// Messages damaged so far.
    pub damaged: Rc<RefCell<Vec<Vec<u8>>>>,
}

impl Corrupt {
    fn damage(&self, class: Class, mut m: Vec<u8>) -> Vec<u8> {
        if class == self.class {
            if let Some(b) = m.last_mut() {
                *b ^= 1;
            }
            self.damaged.borrow_mut().push(m.clone());
        }
        m
    }
}

impl Party for Corrupt {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    fn supports(&self, f: Feature) -> Result<(), &'static str> {
        self.inner.supports(f)
    }
    fn key_package(&mut self) -> Res<Vec<u8>> {
        let m = self.inner.key_package()?;
        Ok(self.damage(Class::KeyPackage, m))
    }
    fn create_group(&mut self, group_id: &[u8]) -> Res<()> {
        self.inner.create_group(group_id)
    }
    fn join_welcome(&mut self, welcome: &[u8], tree: Option<&[u8]>) -> Res<()> {
        self.inner.join_welcome(welcome, tree)
    }
    fn join_external(&mut self, gi: &[u8], resync_leaf: Option<u32>) -> Res<Vec<u8>> {
        let m = self.inner.join_external(gi, resync_leaf)?;
        Ok(self.damage(Class::Commit, m))
    }
    fn forget_group(&mut self) {
        self.inner.forget_group();
    }
    fn group_info(&mut self) -> Res<Vec<u8>> {
        let m = self.inner.group_info()?;
        Ok(self.damage(Class::GroupInfo, m))
    }
    fn ratchet_tree(&self) -> Res<Vec<u8>> {
        self.inner.ratchet_tree()
    }
    fn commit(&mut self, req: &CommitRequest) -> Res<CommitResult> {
        let out = self.inner.commit(req)?;
        Ok(CommitResult {
            commit: self.damage(Class::Commit, out.commit),
            welcome: out.welcome.map(|w| self.damage(Class::Welcome, w)),
        })
    }
    fn merge_pending_commit(&mut self) -> Res<()> {
        self.inner.merge_pending_commit()
    }
    fn propose_add(&mut self, kp: &[u8]) -> Res<Vec<u8>> {
        let m = self.inner.propose_add(kp)?;
        Ok(self.damage(Class::Proposal, m))
    }
    fn propose_remove(&mut self, leaf: u32) -> Res<Vec<u8>> {
        let m = self.inner.propose_remove(leaf)?;
        Ok(self.damage(Class::Proposal, m))
    }
    fn propose_update(&mut self) -> Res<Vec<u8>> {
        let m = self.inner.propose_update()?;
        Ok(self.damage(Class::Proposal, m))
    }
    fn process(&mut self, message: &[u8]) -> Res<Received> {
        self.inner.process(message)
    }
    fn send_application(&mut self, data: &[u8]) -> Res<Vec<u8>> {
        let m = self.inner.send_application(data)?;
        Ok(self.damage(Class::Application, m))
    }
    fn export(&self, label: &str, context: &[u8], len: usize) -> Res<Vec<u8>> {
        self.inner.export(label, context, len)
    }
    fn epoch_authenticator(&self) -> Res<Vec<u8>> {
        self.inner.epoch_authenticator()
    }
    fn epoch(&self) -> Res<u64> {
        self.inner.epoch()
    }
    fn own_leaf(&self) -> Res<u32> {
        self.inner.own_leaf()
    }
    fn member_count(&self) -> Res<usize> {
        self.inner.member_count()
    }
    fn add_external_psk(&mut self, id: &[u8], secret: &[u8]) -> Res<()> {
        self.inner.add_external_psk(id, secret)
    }
    fn hostile_target(&self) -> Option<Box<dyn HostileTarget>> {
        None
    }
}

/// Reports a wrong exporter (one bit flipped) and counts how often it was asked.
pub struct WrongExporter {
    /// The real party.
    pub inner: Box<dyn Party>,
    /// Exporter calls so far.
    pub count: Rc<Cell<usize>>,
}

impl Party for WrongExporter {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    fn supports(&self, f: Feature) -> Result<(), &'static str> {
        self.inner.supports(f)
    }
    fn key_package(&mut self) -> Res<Vec<u8>> {
        self.inner.key_package()
    }
    fn create_group(&mut self, group_id: &[u8]) -> Res<()> {
        self.inner.create_group(group_id)
    }
    fn join_welcome(&mut self, welcome: &[u8], tree: Option<&[u8]>) -> Res<()> {
        self.inner.join_welcome(welcome, tree)
    }
    fn join_external(&mut self, gi: &[u8], resync_leaf: Option<u32>) -> Res<Vec<u8>> {
        self.inner.join_external(gi, resync_leaf)
    }
    fn forget_group(&mut self) {
        self.inner.forget_group();
    }
    fn group_info(&mut self) -> Res<Vec<u8>> {
        self.inner.group_info()
    }
    fn ratchet_tree(&self) -> Res<Vec<u8>> {
        self.inner.ratchet_tree()
    }
    fn commit(&mut self, req: &CommitRequest) -> Res<CommitResult> {
        self.inner.commit(req)
    }
    fn merge_pending_commit(&mut self) -> Res<()> {
        self.inner.merge_pending_commit()
    }
    fn propose_add(&mut self, kp: &[u8]) -> Res<Vec<u8>> {
        self.inner.propose_add(kp)
    }
    fn propose_remove(&mut self, leaf: u32) -> Res<Vec<u8>> {
        self.inner.propose_remove(leaf)
    }
    fn propose_update(&mut self) -> Res<Vec<u8>> {
        self.inner.propose_update()
    }
    fn process(&mut self, message: &[u8]) -> Res<Received> {
        self.inner.process(message)
    }
    fn send_application(&mut self, data: &[u8]) -> Res<Vec<u8>> {
        self.inner.send_application(data)
    }
    fn export(&self, label: &str, context: &[u8], len: usize) -> Res<Vec<u8>> {
        let mut x = self.inner.export(label, context, len)?;
        if let Some(b) = x.first_mut() {
            *b ^= 0x80;
        }
        self.count.set(self.count.get() + 1);
        Ok(x)
    }
    fn epoch_authenticator(&self) -> Res<Vec<u8>> {
        self.inner.epoch_authenticator()
    }
    fn epoch(&self) -> Res<u64> {
        self.inner.epoch()
    }
    fn own_leaf(&self) -> Res<u32> {
        self.inner.own_leaf()
    }
    fn member_count(&self) -> Res<usize> {
        self.inner.member_count()
    }
    fn add_external_psk(&mut self, id: &[u8], secret: &[u8]) -> Res<()> {
        self.inner.add_external_psk(id, secret)
    }
}
