//! HPKE (RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256)) through hpke-rs with our own provider,
//! and `EncryptWithLabel`/`DecryptWithLabel` (RFC 9420 section 5.1.3).
use alloc::string::String;
use alloc::vec::Vec;

use curve25519_dalek::montgomery::MontgomeryPoint;
use hkdf::Hkdf;
use hpke_rs::{Hpke, Mode};
use hpke_rs_crypto::HpkeCrypto;
use hpke_rs_crypto::error::Error as HErr;
use hpke_rs_crypto::types::{
    AeadAlgorithm, KdfAlgorithm, KemAlgorithm, SingleStageKdfAlgorithm, TwoStageKdfAlgorithm,
};
use rand_core::CryptoRng;
use sha2::Sha256;
use vmls_codec::{Decode, Encode, Error as CodecError, Reader, VLBytes, Writer, encode_opaque};
use zeroize::Zeroizing;

use crate::{
    CipherSuite, Error, KEM_KEY_LEN, LABEL_PREFIX, Mls128ChaCha, NONCE_LEN, Secret, SeededPrng,
};

/// An X25519 public key (`HPKEPublicKey`, 32 bytes for both supported suites).
pub type HpkePublicKey = [u8; KEM_KEY_LEN];

/// An X25519 private key. Zeroized on drop; never printed.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct HpkePrivateKey(Secret);

impl HpkePrivateKey {
    /// Wraps raw bytes (must be 32).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        Secret::from_slice(bytes)
            .map(Self)
            .ok_or(Error::InvalidPrivateKey)
    }
    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; KEM_KEY_LEN] {
        self.0.as_bytes()
    }
    /// The matching public key.
    pub fn public_key(&self) -> HpkePublicKey {
        #[cfg(feature = "op-count")]
        crate::op_count::count(crate::op_count::Op::X25519);
        MontgomeryPoint::mul_base_clamped(*self.0.as_bytes()).to_bytes()
    }
}

/// An HPKE key pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HpkeKeyPair {
    /// Private half.
    pub private: HpkePrivateKey,
    /// Public half.
    pub public: HpkePublicKey,
}

/// `HPKECiphertext { opaque kem_output<V>; opaque ciphertext<V>; }` (RFC 9420 section 5.1.3).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HpkeCiphertext {
    /// The KEM encapsulation (`enc`).
    pub kem_output: VLBytes,
    /// The AEAD ciphertext with tag.
    pub ciphertext: VLBytes,
}

impl Encode for HpkeCiphertext {
    fn encode<W: Writer + ?Sized>(&self, w: &mut W) -> Result<(), CodecError> {
        self.kem_output.encode(w)?;
        self.ciphertext.encode(w)
    }
    fn encoded_len(&self) -> usize {
        self.kem_output.encoded_len() + self.ciphertext.encoded_len()
    }
}

impl Decode for HpkeCiphertext {
    fn decode(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Self {
            kem_output: VLBytes::decode(r)?,
            ciphertext: VLBytes::decode(r)?,
        })
    }
}

/// hpke-rs provider for exactly what suites 0x0001/0x0003 need: X25519, HKDF-SHA256,
/// ChaCha20Poly1305 (and AES-128-GCM with `suite-1`). No run-time choice of curves, no OS RNG.
#[derive(Debug)]
pub struct VmlsHpkeProvider;

fn two_stage(alg: TwoStageKdfAlgorithm) -> Result<(), HErr> {
    match alg {
        TwoStageKdfAlgorithm::HkdfSha256 => Ok(()),
        _ => Err(HErr::UnknownKdfAlgorithm),
    }
}

fn x25519_key(bytes: &[u8], e: HErr) -> Result<[u8; 32], HErr> {
    bytes.try_into().map_err(|_| e)
}

impl HpkeCrypto for VmlsHpkeProvider {
    type HpkePrng = SeededPrng;

    fn name() -> String {
        String::from("vmls")
    }

    fn supports_kdf(alg: KdfAlgorithm) -> Result<(), HErr> {
        match alg {
            KdfAlgorithm::HkdfSha256 => Ok(()),
            _ => Err(HErr::UnknownKdfAlgorithm),
        }
    }

    fn supports_kem(alg: KemAlgorithm) -> Result<(), HErr> {
        match alg {
            KemAlgorithm::DhKem25519 => Ok(()),
            _ => Err(HErr::UnknownKemAlgorithm),
        }
    }

    fn supports_aead(alg: AeadAlgorithm) -> Result<(), HErr> {
        match alg {
            AeadAlgorithm::ChaCha20Poly1305 => Ok(()),
            #[cfg(feature = "suite-1")]
            AeadAlgorithm::Aes128Gcm => Ok(()),
            _ => Err(HErr::UnknownAeadAlgorithm),
        }
    }

    fn kdf_extract(alg: TwoStageKdfAlgorithm, salt: &[u8], ikm: &[u8]) -> Result<Vec<u8>, HErr> {
        two_stage(alg)?;
        let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), ikm);
        Ok(prk.to_vec())
    }

    fn kdf_expand(
        alg: TwoStageKdfAlgorithm,
        prk: &[u8],
        info: &[u8],
        output_size: usize,
    ) -> Result<Vec<u8>, HErr> {
        two_stage(alg)?;
        let hk = Hkdf::<Sha256>::from_prk(prk).map_err(|_| HErr::HpkeInvalidOutputLength)?;
        let mut out = alloc::vec![0u8; output_size];
        hk.expand(info, &mut out)
            .map_err(|_| HErr::HpkeInvalidOutputLength)?;
        Ok(out)
    }

    fn kdf_derive(_: SingleStageKdfAlgorithm, _: &[u8], _: usize) -> Result<Vec<u8>, HErr> {
        Err(HErr::UnknownKdfAlgorithm)
    }

    fn dh(alg: KemAlgorithm, pk: &[u8], sk: &[u8]) -> Result<Vec<u8>, HErr> {
        #[cfg(feature = "op-count")]
        crate::op_count::count(crate::op_count::Op::X25519);
        Self::supports_kem(alg)?;
        let pk = x25519_key(pk, HErr::KemInvalidPublicKey)?;
        let sk = Zeroizing::new(x25519_key(sk, HErr::KemInvalidSecretKey)?);
        let shared = MontgomeryPoint(pk).mul_clamped(*sk).to_bytes();
        // RFC 9180 section 7.1.4: an all-zero shared secret means a low-order public key.
        if shared == [0u8; 32] {
            return Err(HErr::KemInvalidPublicKey);
        }
        Ok(shared.to_vec())
    }

    fn secret_to_public(alg: KemAlgorithm, sk: &[u8]) -> Result<Vec<u8>, HErr> {
        #[cfg(feature = "op-count")]
        crate::op_count::count(crate::op_count::Op::X25519);
        Self::supports_kem(alg)?;
        let sk = Zeroizing::new(x25519_key(sk, HErr::KemInvalidSecretKey)?);
        Ok(MontgomeryPoint::mul_base_clamped(*sk).to_bytes().to_vec())
    }

    fn kem_key_gen(alg: KemAlgorithm, prng: &mut SeededPrng) -> Result<(Vec<u8>, Vec<u8>), HErr> {
        #[cfg(feature = "op-count")]
        crate::op_count::count(crate::op_count::Op::X25519);
        Self::supports_kem(alg)?;
        let mut sk = Zeroizing::new([0u8; 32]);
        rand_core::Rng::fill_bytes(prng, sk.as_mut());
        let pk = MontgomeryPoint::mul_base_clamped(*sk).to_bytes().to_vec();
        Ok((pk, sk.to_vec()))
    }

    fn kem_key_gen_derand(_: KemAlgorithm, _: &[u8]) -> Result<(Vec<u8>, Vec<u8>), HErr> {
        Err(HErr::UnsupportedKemOperation)
    }

    fn kem_encaps(
        _: KemAlgorithm,
        _: &[u8],
        _: &mut SeededPrng,
    ) -> Result<(Vec<u8>, Vec<u8>), HErr> {
        Err(HErr::UnsupportedKemOperation)
    }

    fn kem_encaps_derand(_: KemAlgorithm, _: &[u8], _: &[u8]) -> Result<(Vec<u8>, Vec<u8>), HErr> {
        Err(HErr::UnsupportedKemOperation)
    }

    fn kem_decaps(_: KemAlgorithm, _: &[u8], _: &[u8]) -> Result<Vec<u8>, HErr> {
        Err(HErr::UnsupportedKemOperation)
    }

    fn dh_validate_sk(alg: KemAlgorithm, sk: &[u8]) -> Result<Vec<u8>, HErr> {
        Self::supports_kem(alg)?;
        Ok(x25519_key(sk, HErr::KemInvalidSecretKey)?.to_vec())
    }

    fn aead_seal(
        alg: AeadAlgorithm,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        msg: &[u8],
    ) -> Result<Vec<u8>, HErr> {
        let nonce: &[u8; NONCE_LEN] = nonce.try_into().map_err(|_| HErr::AeadInvalidNonce)?;
        let r = match alg {
            AeadAlgorithm::ChaCha20Poly1305 => Mls128ChaCha::seal(key, nonce, aad, msg),
            #[cfg(feature = "suite-1")]
            AeadAlgorithm::Aes128Gcm => crate::Mls128Aes::seal(key, nonce, aad, msg),
            _ => return Err(HErr::UnknownAeadAlgorithm),
        };
        r.map_err(|_| HErr::CryptoLibraryError(String::from("seal")))
    }

    fn aead_open(
        alg: AeadAlgorithm,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        msg: &[u8],
    ) -> Result<Vec<u8>, HErr> {
        let nonce: &[u8; NONCE_LEN] = nonce.try_into().map_err(|_| HErr::AeadInvalidNonce)?;
        let r = match alg {
            AeadAlgorithm::ChaCha20Poly1305 => Mls128ChaCha::open(key, nonce, aad, msg),
            #[cfg(feature = "suite-1")]
            AeadAlgorithm::Aes128Gcm => crate::Mls128Aes::open(key, nonce, aad, msg),
            _ => return Err(HErr::UnknownAeadAlgorithm),
        };
        r.map_err(|_| HErr::AeadOpenError)
    }
}

fn hpke<S: CipherSuite>(prng: SeededPrng) -> Hpke<VmlsHpkeProvider> {
    Hpke::new_with_rng(
        Mode::Base,
        KemAlgorithm::DhKem25519,
        KdfAlgorithm::HkdfSha256,
        S::hpke_aead(),
        prng,
    )
}

/// `EncryptContext { opaque label<V> = "MLS 1.0 " + Label; opaque context<V>; }`.
fn encrypt_context(label: &[u8], context: &[u8]) -> Result<Vec<u8>, Error> {
    let mut info = Vec::with_capacity(LABEL_PREFIX.len() + label.len() + context.len() + 8);
    vmls_codec::encode_varint(&mut info, LABEL_PREFIX.len() + label.len())?;
    info.extend_from_slice(LABEL_PREFIX);
    info.extend_from_slice(label);
    encode_opaque(&mut info, context)?;
    Ok(info)
}

/// `EncryptWithLabel(PublicKey, Label, Context, Plaintext)`: HPKE base-mode `SealBase` with
/// `info = EncryptContext` and empty AAD. The ephemeral key comes from `rng`.
pub fn encrypt_with_label<S: CipherSuite, R: CryptoRng + ?Sized>(
    public_key: &[u8],
    label: &[u8],
    context: &[u8],
    plaintext: &[u8],
    rng: &mut R,
) -> Result<HpkeCiphertext, Error> {
    #[cfg(feature = "op-count")]
    crate::op_count::count(crate::op_count::Op::HpkeSeal);
    if public_key.len() != KEM_KEY_LEN {
        return Err(Error::InvalidPublicKey);
    }
    let info = encrypt_context(label, context)?;
    let mut h = hpke::<S>(SeededPrng::from_rng(rng));
    let pk = hpke_rs::HpkePublicKey::new(public_key.to_vec());
    let (enc, ct) = h
        .seal(&pk, &info, &[], plaintext, None, None, None)
        .map_err(|_| Error::HpkeFailed)?;
    Ok(HpkeCiphertext {
        kem_output: enc.into(),
        ciphertext: ct.into(),
    })
}

/// `DecryptWithLabel(PrivateKey, Label, Context, KEMOutput, Ciphertext)`.
pub fn decrypt_with_label<S: CipherSuite>(
    private_key: &HpkePrivateKey,
    label: &[u8],
    context: &[u8],
    kem_output: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    #[cfg(feature = "op-count")]
    crate::op_count::count(crate::op_count::Op::HpkeOpen);
    let info = encrypt_context(label, context)?;
    let h = hpke::<S>(SeededPrng::from_seed([0; 32]));
    let sk = hpke_rs::HpkePrivateKey::new(private_key.as_bytes().to_vec());
    h.open(kem_output, &sk, &info, &[], ciphertext, None, None, None)
        .map(Zeroizing::new)
        .map_err(|_| Error::HpkeFailed)
}

/// HPKE base-mode secret export on the sender side (RFC 9180 sections 5.1.1 and 5.3):
/// `kem_output, context = SetupBaseS(public_key, info)`, then
/// `context.export(exporter_context, Nh)`. MLS uses it for the external init secret (RFC 9420
/// section 8.3, `exporter_context = "MLS 1.0 external init secret"`, empty `info`). The
/// ephemeral key comes from `rng`.
pub fn export_sender<S: CipherSuite, R: CryptoRng + ?Sized>(
    public_key: &[u8],
    info: &[u8],
    exporter_context: &[u8],
    rng: &mut R,
) -> Result<(Vec<u8>, Secret), Error> {
    #[cfg(feature = "op-count")]
    crate::op_count::count(crate::op_count::Op::HpkeSeal);
    if public_key.len() != KEM_KEY_LEN {
        return Err(Error::InvalidPublicKey);
    }
    let mut h = hpke::<S>(SeededPrng::from_rng(rng));
    let pk = hpke_rs::HpkePublicKey::new(public_key.to_vec());
    let (enc, secret) = h
        .send_export(&pk, info, None, None, None, exporter_context, crate::NH)
        .map_err(|_| Error::HpkeFailed)?;
    let secret = Zeroizing::new(secret);
    let secret = Secret::from_slice(&secret).ok_or(Error::HpkeFailed)?;
    Ok((enc, secret))
}

/// HPKE base-mode secret export on the receiver side: `context = SetupBaseR(kem_output,
/// private_key, info)`, then `context.export(exporter_context, Nh)` (RFC 9420 section 8.3).
pub fn export_receiver<S: CipherSuite>(
    private_key: &HpkePrivateKey,
    kem_output: &[u8],
    info: &[u8],
    exporter_context: &[u8],
) -> Result<Secret, Error> {
    #[cfg(feature = "op-count")]
    crate::op_count::count(crate::op_count::Op::HpkeOpen);
    let h = hpke::<S>(SeededPrng::from_seed([0; 32]));
    let sk = hpke_rs::HpkePrivateKey::new(private_key.as_bytes().to_vec());
    let secret = h
        .receiver_export(
            kem_output,
            &sk,
            info,
            None,
            None,
            None,
            exporter_context,
            crate::NH,
        )
        .map_err(|_| Error::HpkeFailed)?;
    let secret = Zeroizing::new(secret);
    Secret::from_slice(&secret).ok_or(Error::HpkeFailed)
}

/// `DeriveKeyPair(ikm)` of RFC 9180 section 7.1.3 for DHKEM(X25519).
///
/// hpke-rs hides private key bytes unless its `hazmat` feature is on, and MLS needs them (they are
/// stored in the group state), so the two-line X25519 derivation is done here directly.
pub fn derive_key_pair(ikm: &[u8]) -> Result<HpkeKeyPair, Error> {
    #[cfg(feature = "op-count")]
    crate::op_count::count(crate::op_count::Op::HpkeKeygen);
    let private = derive_x25519_sk(ikm)?;
    let public = private.public_key();
    Ok(HpkeKeyPair { private, public })
}

/// A fresh HPKE key pair from the caller's RNG (an init key or a leaf encryption key).
pub fn generate_hpke_key_pair<R: CryptoRng + ?Sized>(rng: &mut R) -> Result<HpkeKeyPair, Error> {
    let mut ikm = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(ikm.as_mut());
    derive_key_pair(ikm.as_ref())
}

/// RFC 9180 7.1.3 for X25519: `sk = LabeledExpand(LabeledExtract("", "dkp_prk", ikm), "sk", "", 32)`.
fn derive_x25519_sk(ikm: &[u8]) -> Result<HpkePrivateKey, Error> {
    // suite_id = "KEM" || I2OSP(0x0020, 2)
    const SUITE: &[u8] = b"KEM\x00\x20";
    let mut labeled_ikm = Vec::with_capacity(7 + SUITE.len() + 7 + ikm.len());
    labeled_ikm.extend_from_slice(b"HPKE-v1");
    labeled_ikm.extend_from_slice(SUITE);
    labeled_ikm.extend_from_slice(b"dkp_prk");
    labeled_ikm.extend_from_slice(ikm);
    let labeled_ikm = Zeroizing::new(labeled_ikm);
    let (prk, _) = Hkdf::<Sha256>::extract(Some(&[]), &labeled_ikm);
    let hk = Hkdf::<Sha256>::from_prk(&prk).map_err(|_| Error::HpkeFailed)?;
    let mut info = [0u8; 2 + 7 + 5 + 2];
    let mut w = vmls_codec::SliceWriter::new(&mut info);
    for part in [&32u16.to_be_bytes()[..], b"HPKE-v1", SUITE, b"sk"] {
        w.put(part)?;
    }
    let mut sk = [0u8; 32];
    hk.expand(&info, &mut sk).map_err(|_| Error::HpkeFailed)?;
    let k = HpkePrivateKey(Secret::from_bytes(sk));
    Ok(k)
}
