// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelVault} from "./interfaces/IModelVault.sol";
import {ICustodianRegistry} from "./interfaces/ICustodianRegistry.sol";

/// @title ModelRegistry
/// @notice Models, their versions (manifest, commitments, custodian set), terms, lifecycle and
///         ownership. Licences (Licenses.sol) build on it; ModelVault deploys both as one contract
///         so that buy and requestKey read the model without an external call.
abstract contract ModelRegistry is IModelVault {
    /// @notice Largest custodian set: bounds every loop over a set.
    uint256 public constant MAX_CUSTODIANS = 16;
    /// @notice Segment size that the storage Merkle root is built over.
    uint256 public constant STORAGE_SEGMENT_SIZE = 4096;
    /// @notice BN254 scalar field order: commitments must be field elements.
    uint256 public constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice What a new version publishes.
    struct VersionParams {
        string manifestCid;
        uint256 weightsCommitment;
        uint256 ownerCommitment;
        bytes32 storageRoot;
        uint32 segmentCount;
        address[] custodians;
        uint8 threshold;
    }

    /// @notice Licence terms, fixed into each licence when it is bought or granted.
    struct Terms {
        uint128 price; // wei, paid exactly by buy
        uint32 duration; // seconds a licence lasts; 0 = no expiry
        uint32 maxUses; // access tickets per licence; 0 = unlimited
        uint96 minStake; // licensee stake required for tickets; 0 = none
        bool carryOver; // whether licences stay valid for later versions
    }

    /// @notice A published version.
    struct Version {
        uint256 weightsCommitment;
        uint256 ownerCommitment;
        bytes32 storageRoot;
        uint32 segmentCount;
        uint8 threshold;
        uint64 publishedAt;
        string manifestCid;
        address[] custodians;
    }

    // Two packed slots: buy reads both, requestKey only the first.
    struct Model {
        address owner;
        uint16 version;
        Status status;
        bool carryOver;
        uint8 custodianCount;
        uint32 maxUses;
        uint128 price;
        uint96 minStake;
        uint32 duration;
    }

    /// @notice The custodian stake registry that custodian sets are checked against.
    ICustodianRegistry public immutable custodianRegistry;
    /// @notice Number of registered models; ids run from 1 to modelCount.
    uint256 public modelCount;

    mapping(uint256 modelId => Model) internal _models;
    mapping(uint256 modelId => mapping(uint16 version => Version)) internal _versions;
    mapping(uint256 modelId => mapping(uint16 version => mapping(address => bool))) internal _isCustodian;
    /// @notice Proposed next owner of a model (two-step transfer).
    mapping(uint256 modelId => address) public pendingOwner;

    event ModelRegistered(uint256 indexed modelId, address indexed owner);
    event VersionPublished(
        uint256 indexed modelId,
        uint16 indexed version,
        string manifestCid,
        uint256 weightsCommitment,
        uint256 ownerCommitment,
        bytes32 storageRoot,
        uint32 segmentCount,
        address[] custodians,
        uint8 threshold
    );
    event TermsUpdated(
        uint256 indexed modelId, uint128 price, uint32 duration, uint32 maxUses, uint96 minStake, bool carryOver
    );
    event StatusChanged(uint256 indexed modelId, Status status);
    event OwnershipTransferStarted(uint256 indexed modelId, address indexed from, address indexed to);
    event OwnershipTransferred(uint256 indexed modelId, address indexed from, address indexed to);

    error UnknownModel(uint256 modelId);
    error NotModelOwner(uint256 modelId, address caller);
    error ModelIsRetired(uint256 modelId);
    error InvalidStatusChange(uint256 modelId, Status from, Status to);
    error EmptyManifest();
    error NotAFieldElement(uint256 value);
    error InvalidStorageCommitment();
    error InvalidCustodianSet(uint256 size);
    error DuplicateCustodian(address custodian);
    error CustodianNotActive(address custodian);
    error InvalidThreshold(uint8 threshold, uint256 custodians);
    error TooManyVersions(uint256 modelId);
    error TooManyModels();
    error ZeroAddress();
    error NotPendingOwner(uint256 modelId, address caller);

    constructor(ICustodianRegistry custodians) {
        if (address(custodians) == address(0)) revert ZeroAddress();
        custodianRegistry = custodians;
    }

    modifier onlyModelOwner(uint256 modelId) {
        _requireOwner(modelId);
        _;
    }

    modifier notRetired(uint256 modelId) {
        if (_models[modelId].status == Status.Retired) revert ModelIsRetired(modelId);
        _;
    }

    /// @notice Registers a model with its first version and terms; the caller becomes its owner.
    /// @param params Manifest CID, commitments, storage Merkle root, custodian set and threshold.
    /// @param newTerms Price and licence terms.
    /// @return modelId The new model's id (sequential from 1, a valid BN254 field element).
    function registerModel(VersionParams calldata params, Terms calldata newTerms) external returns (uint256 modelId) {
        if (modelCount == type(uint32).max) revert TooManyModels();
        modelId = ++modelCount;
        Model storage m = _models[modelId];
        m.owner = msg.sender;
        emit ModelRegistered(modelId, msg.sender);
        _setTerms(modelId, newTerms);
        _publish(modelId, m, params);
    }

    /// @notice Replaces the price and terms for future licences (sold licences keep theirs).
    /// @param modelId The model.
    /// @param newTerms The new terms.
    function setTerms(uint256 modelId, Terms calldata newTerms) external onlyModelOwner(modelId) notRetired(modelId) {
        _setTerms(modelId, newTerms);
    }

    /// @notice Publishes a new version (key rotation: new manifest, commitments and custodian set).
    /// @param modelId The model.
    /// @param params The new version's manifest, commitments, storage root and custodian set.
    /// @return version The new version number.
    function publishVersion(uint256 modelId, VersionParams calldata params)
        external
        onlyModelOwner(modelId)
        notRetired(modelId)
        returns (uint16 version)
    {
        return _publish(modelId, _models[modelId], params);
    }

    /// @notice Halts licence sales until unpaused; existing licences keep working.
    /// @param modelId The model.
    function pause(uint256 modelId) external onlyModelOwner(modelId) {
        _changeStatus(modelId, Status.Active, Status.Paused);
    }

    /// @notice Resumes licence sales.
    /// @param modelId The model.
    function unpause(uint256 modelId) external onlyModelOwner(modelId) {
        _changeStatus(modelId, Status.Paused, Status.Active);
    }

    /// @notice Retires the model for good: no sales, grants, versions or term changes; live
    ///         licences keep their tickets until they end.
    /// @param modelId The model.
    function retire(uint256 modelId) external onlyModelOwner(modelId) notRetired(modelId) {
        _models[modelId].status = Status.Retired;
        emit StatusChanged(modelId, Status.Retired);
    }

    /// @notice Proposes `newOwner`, who takes over by calling acceptOwnership.
    /// @param modelId The model.
    /// @param newOwner The proposed owner (zero cancels a pending transfer).
    function transferOwnership(uint256 modelId, address newOwner) external onlyModelOwner(modelId) {
        pendingOwner[modelId] = newOwner;
        emit OwnershipTransferStarted(modelId, msg.sender, newOwner);
    }

    /// @notice Completes a transfer started by the current owner; unclaimed owner revenue moves too.
    /// @param modelId The model.
    function acceptOwnership(uint256 modelId) external {
        if (pendingOwner[modelId] != msg.sender || msg.sender == address(0)) {
            revert NotPendingOwner(modelId, msg.sender);
        }
        address previous = _models[modelId].owner;
        delete pendingOwner[modelId];
        _models[modelId].owner = msg.sender;
        emit OwnershipTransferred(modelId, previous, msg.sender);
    }

    /// @inheritdoc IModelVault
    function modelState(uint256 modelId) external view returns (address owner, uint16 version, Status status) {
        Model storage m = _models[modelId];
        return (m.owner, m.version, m.status);
    }

    /// @notice The model's current terms.
    /// @param modelId The model.
    function terms(uint256 modelId) external view returns (Terms memory) {
        Model storage m = _models[modelId];
        return Terms(m.price, m.duration, m.maxUses, m.minStake, m.carryOver);
    }

    /// @notice A published version, including its manifest CID and custodian set.
    /// @param modelId The model.
    /// @param version The version (1 .. current).
    function getVersion(uint256 modelId, uint16 version) external view returns (Version memory) {
        Version storage v = _versions[modelId][version];
        if (v.publishedAt == 0) revert UnknownModel(modelId);
        return v;
    }

    /// @inheritdoc IModelVault
    function isCustodian(uint256 modelId, uint16 version, address account) external view returns (bool) {
        return _isCustodian[modelId][version][account];
    }

    /// @inheritdoc IModelVault
    function storageCommitment(uint256 modelId, uint16 version) external view returns (bytes32, uint32) {
        Version storage v = _versions[modelId][version];
        return (v.storageRoot, v.segmentCount);
    }

    /// @inheritdoc IModelVault
    function commitments(uint256 modelId, uint16 version) external view returns (uint256, uint256) {
        Version storage v = _versions[modelId][version];
        return (v.weightsCommitment, v.ownerCommitment);
    }

    function _requireOwner(uint256 modelId) internal view {
        address owner = _models[modelId].owner;
        if (owner == address(0)) revert UnknownModel(modelId);
        if (owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
    }

    function _changeStatus(uint256 modelId, Status from, Status to) private {
        Model storage m = _models[modelId];
        if (m.status != from) revert InvalidStatusChange(modelId, m.status, to);
        m.status = to;
        emit StatusChanged(modelId, to);
    }

    function _setTerms(uint256 modelId, Terms calldata t) private {
        Model storage m = _models[modelId];
        (m.price, m.duration, m.maxUses, m.minStake, m.carryOver) =
            (t.price, t.duration, t.maxUses, t.minStake, t.carryOver);
        emit TermsUpdated(modelId, t.price, t.duration, t.maxUses, t.minStake, t.carryOver);
    }

    function _publish(uint256 modelId, Model storage m, VersionParams calldata p) private returns (uint16 version) {
        if (m.version == type(uint16).max) revert TooManyVersions(modelId);
        _validate(p);
        version = m.version + 1;
        Version storage v = _versions[modelId][version];
        (v.weightsCommitment, v.ownerCommitment, v.storageRoot, v.segmentCount, v.threshold) =
            (p.weightsCommitment, p.ownerCommitment, p.storageRoot, p.segmentCount, p.threshold);
        v.publishedAt = uint64(block.timestamp);
        v.manifestCid = p.manifestCid;
        v.custodians = p.custodians;
        mapping(address => bool) storage members = _isCustodian[modelId][version];
        for (uint256 i; i < p.custodians.length; ++i) {
            address c = p.custodians[i];
            if (members[c]) revert DuplicateCustodian(c);
            if (!custodianRegistry.isActive(c)) revert CustodianNotActive(c);
            members[c] = true;
        }
        m.version = version;
        m.custodianCount = uint8(p.custodians.length);
        emit VersionPublished(
            modelId,
            version,
            p.manifestCid,
            p.weightsCommitment,
            p.ownerCommitment,
            p.storageRoot,
            p.segmentCount,
            p.custodians,
            p.threshold
        );
    }

    function _validate(VersionParams calldata p) private pure {
        if (bytes(p.manifestCid).length == 0) revert EmptyManifest();
        if (p.weightsCommitment >= SNARK_SCALAR_FIELD) revert NotAFieldElement(p.weightsCommitment);
        if (p.ownerCommitment >= SNARK_SCALAR_FIELD) revert NotAFieldElement(p.ownerCommitment);
        if (p.storageRoot == bytes32(0) || p.segmentCount == 0) revert InvalidStorageCommitment();
        uint256 n = p.custodians.length;
        if (n == 0 || n > MAX_CUSTODIANS) revert InvalidCustodianSet(n);
        if (p.threshold == 0 || p.threshold > n) revert InvalidThreshold(p.threshold, n);
    }
}
