//! Decoders added with CBST/CBAM and virtual clients (issue 16/17): the CBAM message view, the
//! CBST state, the virtual-client announcement (`VirtualClientActions` in SafeAAD and each
//! action's detail), the Group state blob and the nesting stack's blob. Each must reject
//! garbage with an error, never panic, and what it accepts must encode back to something it
//! decodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vmls_cbst::ChallengeSecretTree;
use vmls_codec::{Decode, Encode};
use vmls_crypto::Mls128ChaCha;
use vmls_emulation::announce::{
    AnnounceDetail, CommitDetail, CreateVcDetail, JoinDetail, KeyPackagesDetail, LeaveDetail,
    ProposeDetail, VirtualClientActions,
};
use vmls_emulation::{EmulationStack, EmulatorConfig};
use vmls_group::framing::cbam::CbamMessageView;
use vmls_group::group::Group;

macro_rules! round_trip {
    ($t:ty, $data:expr) => {
        if let Ok(v) = <$t>::from_bytes($data) {
            let bytes = v.to_bytes().expect("what decodes encodes");
            let again = <$t>::from_bytes(&bytes).expect("re-decodes");
            assert_eq!(again.to_bytes().expect("encodes"), bytes);
        }
    };
}

fuzz_target!(|data: &[u8]| {
    let _ = CbamMessageView::parse(data);

    if let Ok(tree) = ChallengeSecretTree::<Mls128ChaCha>::decode_exact(data) {
        let bytes = tree.to_bytes().expect("encodes");
        let again = ChallengeSecretTree::<Mls128ChaCha>::decode_exact(&bytes).expect("re-decodes");
        assert_eq!(again.to_bytes().expect("encodes"), bytes);
        // Using a decoded tree never panics, whatever the challenge.
        let mut t = again;
        let challenge: [u8; 32] = core::array::from_fn(|i| data.get(i).copied().unwrap_or(0));
        let _ = t.key_for(&challenge);
        let _ = t.derive(&challenge);
    }

    round_trip!(VirtualClientActions, data);
    let _ = VirtualClientActions::from_authenticated_data(data);
    round_trip!(CreateVcDetail, data);
    round_trip!(KeyPackagesDetail, data);
    round_trip!(JoinDetail, data);
    round_trip!(CommitDetail, data);
    round_trip!(LeaveDetail, data);
    round_trip!(ProposeDetail, data);
    round_trip!(AnnounceDetail, data);

    // A nesting stack's blob (vmls_emulation::nest).
    if let Ok(s) = EmulationStack::from_bytes(data, EmulatorConfig::default()) {
        let bytes = s.to_bytes().expect("encodes");
        let again =
            EmulationStack::from_bytes(&bytes, EmulatorConfig::default()).expect("re-decodes");
        assert_eq!(again.to_bytes().expect("encodes"), bytes);
    }

    if let Ok(g) = Group::<Mls128ChaCha>::from_bytes(data) {
        let bytes = g.to_bytes().expect("encodes");
        let again = Group::<Mls128ChaCha>::from_bytes(&bytes).expect("re-decodes");
        assert_eq!(again.to_bytes().expect("encodes"), bytes);
    }
});
