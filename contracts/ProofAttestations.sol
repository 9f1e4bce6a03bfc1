// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IModelVault} from "./interfaces/IModelVault.sol";
import {IOwnershipVerifier, IWellFormedVerifier} from "./interfaces/IGroth16Verifier.sol";

/// @title ProofAttestations
/// @notice Records Groth16-verified attestations about registered models: ownership (knowledge of
///         the owner secret behind the registered owner commitment, bound to the claimant's
///         address, the model id and a one-time nonce) and inference (y = model(x) for the
///         registered weights commitment, through a per-model verifier the model owner sets per
///         reveal variant: what the proof publishes of the output, docs/ZK.md).
///         An inference counts only for a version whose weights commitment was first attested
///         well-formed (every committed lane holds an in-range weight): the inference circuit
///         does not range-check the weights, so without that attestation its proof is worthless.
contract ProofAttestations {
    /// @notice Fewest and most public signals an inference verifier may take
    ///         ([weightsCommitment, inputCommitment, y_0 .. y_{K-3}] for the public variant).
    uint256 public constant MIN_INFERENCE_SIGNALS = 3;
    uint256 public constant MAX_INFERENCE_SIGNALS = 64;
    /// @notice Inference variants: 0 public ([weightsCommitment, inputCommitment, y...]),
    ///         1 committed ([weightsCommitment, inputCommitment, outputCommitment]),
    ///         2 argmax ([weightsCommitment, inputCommitment, class]).
    uint8 public constant VARIANT_PUBLIC = 0;
    uint8 public constant VARIANT_COMMITTED = 1;
    uint8 public constant VARIANT_ARGMAX = 2;
    uint8 public constant VARIANT_COUNT = 3;

    IModelVault public immutable vault;
    IOwnershipVerifier public immutable ownershipVerifier;

    /// @notice Inference verifier and its public-signal count per model and variant.
    mapping(uint256 modelId => mapping(uint8 variant => address)) public inferenceVerifier;
    mapping(uint256 modelId => mapping(uint8 variant => uint256)) public inferenceSignals;
    /// @notice Ownership nonces already used per model (a proof counts once).
    mapping(uint256 modelId => mapping(uint256 nonce => bool)) public nonceUsed;
    /// @notice Latest version each address proved ownership of (0 = never).
    mapping(uint256 modelId => mapping(address claimant => uint16)) public ownershipAttested;
    /// @dev Inference attestations by keccak256(abi.encode(modelId, variant, pubSignals)): the
    ///      version (bits 0-15, 0 = none) and the variant (bits 16-23) in one slot, so recording
    ///      the variant costs no second storage write.
    mapping(bytes32 attestationId => uint24) private _inference;
    /// @notice Well-formedness verifier (WellformedVerifier_<sizes>) per model, set by its owner.
    mapping(uint256 modelId => address) public wellFormedVerifier;
    /// @notice Versions whose registered weights commitment has a verified well-formedness proof.
    mapping(uint256 modelId => mapping(uint16 version => bool)) public wellFormedAttested;

    event OwnershipAttested(uint256 indexed modelId, uint16 indexed version, address indexed claimant, uint256 nonce);
    event InferenceVerifierSet(uint256 indexed modelId, uint8 variant, address verifier, uint256 signals);
    event InferenceAttested(
        bytes32 indexed attestationId,
        uint256 indexed modelId,
        uint16 version,
        address indexed prover,
        uint8 variant,
        uint256[] pubSignals
    );

    event WellFormedVerifierSet(uint256 indexed modelId, address verifier);
    event WellFormedAttested(uint256 indexed modelId, uint16 indexed version, uint256 weightsCommitment, address indexed prover);

    error ZeroAddress();
    error UnknownModel(uint256 modelId);
    error NotModelOwner(uint256 modelId, address caller);
    error WeightsCommitmentMismatch(uint256 expected, uint256 got);
    error OwnerCommitmentMismatch(uint256 expected, uint256 got);
    error ClaimantMismatch(address caller, uint256 got);
    error ModelIdMismatch(uint256 modelId, uint256 got);
    error NonceUsed(uint256 modelId, uint256 nonce);
    error InvalidProof();
    error NoInferenceVerifier(uint256 modelId);
    error InvalidSignalCount(uint256 count);
    error AlreadyAttested(bytes32 attestationId);
    error UnknownVariant(uint8 variant);
    error NoWellFormedVerifier(uint256 modelId);
    error WellFormedAlreadyAttested(uint256 modelId, uint16 version);
    error NotWellFormed(uint256 modelId, uint16 version);

    /// @param vault_ ModelVault holding the registered commitments.
    /// @param ownership The generated OwnershipVerifier.
    constructor(IModelVault vault_, IOwnershipVerifier ownership) {
        if (address(vault_) == address(0) || address(ownership) == address(0)) revert ZeroAddress();
        (vault, ownershipVerifier) = (vault_, ownership);
    }

    /// @notice Verifies an ownership proof for the model's current version and records that the
    ///         caller proved it. Public signals: [weightsCommitment, ownerCommitment, claimant
    ///         (= uint160(msg.sender)), modelId, nonce], as snarkjs exports them.
    /// @param modelId The model.
    /// @param pA Proof point A.
    /// @param pB Proof point B.
    /// @param pC Proof point C.
    /// @param pubSignals The five public signals.
    function attestOwnership(
        uint256 modelId,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[5] calldata pubSignals
    ) external {
        uint16 version = _currentVersion(modelId);
        (uint256 weights, uint256 owner) = vault.commitments(modelId, version);
        if (pubSignals[0] != weights) revert WeightsCommitmentMismatch(weights, pubSignals[0]);
        if (pubSignals[1] != owner) revert OwnerCommitmentMismatch(owner, pubSignals[1]);
        if (pubSignals[2] != uint256(uint160(msg.sender))) revert ClaimantMismatch(msg.sender, pubSignals[2]);
        if (pubSignals[3] != modelId) revert ModelIdMismatch(modelId, pubSignals[3]);
        if (nonceUsed[modelId][pubSignals[4]]) revert NonceUsed(modelId, pubSignals[4]);
        if (!ownershipVerifier.verifyProof(pA, pB, pC, pubSignals)) revert InvalidProof();
        nonceUsed[modelId][pubSignals[4]] = true;
        ownershipAttested[modelId][msg.sender] = version;
        emit OwnershipAttested(modelId, version, msg.sender, pubSignals[4]);
    }

    /// @notice Sets the generated inference verifier of the model's architecture for one variant (owner only).
    /// @param modelId The model.
    /// @param variant VARIANT_PUBLIC, VARIANT_COMMITTED or VARIANT_ARGMAX.
    /// @param verifier Verifier contract with verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[signals]).
    /// @param signals Its public-signal count K: 3..64 for the public variant, 3 for the others.
    function setInferenceVerifier(uint256 modelId, uint8 variant, address verifier, uint256 signals) external {
        _onlyOwner(modelId);
        if (variant >= VARIANT_COUNT) revert UnknownVariant(variant);
        if (verifier == address(0)) revert ZeroAddress();
        uint256 most = variant == VARIANT_PUBLIC ? MAX_INFERENCE_SIGNALS : MIN_INFERENCE_SIGNALS;
        if (signals < MIN_INFERENCE_SIGNALS || signals > most) revert InvalidSignalCount(signals);
        (inferenceVerifier[modelId][variant], inferenceSignals[modelId][variant]) = (verifier, signals);
        emit InferenceVerifierSet(modelId, variant, verifier, signals);
    }

    /// @notice Sets the generated well-formedness verifier of the model's architecture (owner only).
    /// @param modelId The model.
    /// @param verifier Verifier contract with verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[1]).
    function setWellFormedVerifier(uint256 modelId, address verifier) external {
        _onlyOwner(modelId);
        if (verifier == address(0)) revert ZeroAddress();
        wellFormedVerifier[modelId] = verifier;
        emit WellFormedVerifierSet(modelId, verifier);
    }

    /// @notice Verifies a well-formedness proof of the model's current weights commitment and
    ///         records it for the current version (once). Public signals: [weightsCommitment].
    /// @param modelId The model.
    /// @param pA Proof point A.
    /// @param pB Proof point B.
    /// @param pC Proof point C.
    /// @param pubSignals The one public signal.
    function attestWellFormed(
        uint256 modelId,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[1] calldata pubSignals
    ) external {
        uint16 version = _currentVersion(modelId);
        address verifier = wellFormedVerifier[modelId];
        if (verifier == address(0)) revert NoWellFormedVerifier(modelId);
        (uint256 weights,) = vault.commitments(modelId, version);
        if (pubSignals[0] != weights) revert WeightsCommitmentMismatch(weights, pubSignals[0]);
        if (wellFormedAttested[modelId][version]) revert WellFormedAlreadyAttested(modelId, version);
        if (!IWellFormedVerifier(verifier).verifyProof(pA, pB, pC, pubSignals)) revert InvalidProof();
        wellFormedAttested[modelId][version] = true;
        emit WellFormedAttested(modelId, version, weights, msg.sender);
    }

    /// @notice Verifies an inference proof of one variant against the model's current weights
    ///         commitment, through the variant's verifier, and records it; the version must be attested well-formed first
    ///         (NotWellFormed). Public signals:
    ///         [weightsCommitment, inputCommitment, then y_0 .. y_{K-3} | outputCommitment | class].
    /// @param modelId The model.
    /// @param variant The proof's variant (VARIANT_PUBLIC, VARIANT_COMMITTED, VARIANT_ARGMAX).
    /// @param pA Proof point A.
    /// @param pB Proof point B.
    /// @param pC Proof point C.
    /// @param pubSignals The K public signals.
    /// @return attestationId keccak256(abi.encode(modelId, variant, pubSignals)).
    function attestInference(
        uint256 modelId,
        uint8 variant,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[] calldata pubSignals
    ) external returns (bytes32 attestationId) {
        uint16 version = _currentVersion(modelId);
        if (variant >= VARIANT_COUNT) revert UnknownVariant(variant);
        address verifier = inferenceVerifier[modelId][variant];
        if (verifier == address(0)) revert NoInferenceVerifier(modelId);
        if (!wellFormedAttested[modelId][version]) revert NotWellFormed(modelId, version);
        if (pubSignals.length != inferenceSignals[modelId][variant]) revert InvalidSignalCount(pubSignals.length);
        (uint256 weights,) = vault.commitments(modelId, version);
        if (pubSignals[0] != weights) revert WeightsCommitmentMismatch(weights, pubSignals[0]);
        attestationId = keccak256(abi.encode(modelId, variant, pubSignals));
        if (_inference[attestationId] != 0) revert AlreadyAttested(attestationId);
        if (!_verifyDynamic(verifier, pA, pB, pC, pubSignals)) revert InvalidProof();
        _inference[attestationId] = uint24(version) | (uint24(variant) << 16);
        emit InferenceAttested(attestationId, modelId, version, msg.sender, variant, pubSignals);
    }

    /// @notice The version an inference attestation was recorded for (0 = not attested).
    /// @param attestationId keccak256(abi.encode(modelId, variant, pubSignals)).
    function inferenceAttested(bytes32 attestationId) external view returns (uint16) {
        return uint16(_inference[attestationId]);
    }

    /// @notice The variant an inference attestation was verified as (VARIANT_PUBLIC when not attested).
    /// @param attestationId keccak256(abi.encode(modelId, variant, pubSignals)).
    function inferenceVariant(bytes32 attestationId) external view returns (uint8) {
        return uint8(_inference[attestationId] >> 16);
    }

    function _onlyOwner(uint256 modelId) private view {
        (address owner,,) = vault.modelState(modelId);
        if (owner == address(0)) revert UnknownModel(modelId);
        if (owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
    }

    function _currentVersion(uint256 modelId) private view returns (uint16 version) {
        address owner;
        (owner, version,) = vault.modelState(modelId);
        if (owner == address(0)) revert UnknownModel(modelId);
    }

    // A uint256[K] argument is ABI-encoded inline as K words, so the call data is the selector of
    // the K-instance of verifyProof, the proof points, then the signals packed.
    function _verifyDynamic(
        address verifier,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[] calldata pubSignals
    ) private view returns (bool) {
        bytes4 selector = bytes4(
            keccak256(
                bytes.concat(
                    "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[",
                    bytes(Strings.toString(pubSignals.length)),
                    "])"
                )
            )
        );
        (bool ok, bytes memory ret) =
            verifier.staticcall(bytes.concat(selector, abi.encode(pA, pB, pC), abi.encodePacked(pubSignals)));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
    }
}
