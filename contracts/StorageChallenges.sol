// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {PullPayments} from "./PullPayments.sol";
import {IModelVault} from "./interfaces/IModelVault.sol";
import {ICustodianRegistry} from "./interfaces/ICustodianRegistry.sol";

/// @title StorageChallenges
/// @notice Proof of storage. Anyone posts a bond and challenges a custodian of a model's current
///         version; the segment index comes from the hash of the block after the challenge (unknown
///         when it was made); the custodian answers with the 4 KiB segment and its Merkle proof
///         against the root committed at registration before the deadline block, earning the bond,
///         or anyone may slash it afterwards (bond back to the challenger, slashed stake to the
///         challenger and the pool).
/// @dev SHA-256 throughout, so a node builds the tree at native hashing speed while it publishes:
///      leaf i = sha256(sha256(abi.encodePacked(uint256 i, segment_i))), node = sha256 of the sorted
///      pair (OpenZeppelin's SimpleMerkleTree shape with a custom node hash). The double hash keeps a
///      leaf from passing for an inner node; binding the index stops one stored segment from
///      answering every index.
contract StorageChallenges is PullPayments {
    enum State {
        None,
        Open,
        Answered,
        Slashed
    }

    struct Challenge {
        address challenger;
        uint64 seedBlock; // its hash picks the segment
        uint64 deadlineBlock; // last block a response is accepted in
        State state;
        address custodian;
        uint16 version;
        uint128 bond;
        uint256 modelId;
    }

    /// @notice Segment size the storage root is built over.
    uint256 public constant SEGMENT_SIZE = 4096;
    IModelVault public immutable vault;
    ICustodianRegistry public immutable custodians;
    /// @notice Exact bond a challenge costs.
    uint128 public immutable bond;
    /// @notice Blocks after the seed block in which the custodian can respond (<= 255).
    uint64 public immutable responseWindow;
    /// @notice Share of the custodian's stake slashed for a missed deadline (basis points).
    uint16 public immutable slashBps;
    /// @notice Share of the slashed stake paid to the challenger; the rest goes to the pool.
    uint16 public immutable challengerRewardBps;
    /// @notice Number of challenges; ids run from 1.
    uint256 public challengeCount;

    mapping(uint256 challengeId => Challenge) public challenges;

    event ChallengeOpened(
        uint256 indexed challengeId,
        uint256 indexed modelId,
        uint16 version,
        address indexed custodian,
        address challenger,
        uint64 seedBlock,
        uint64 deadlineBlock
    );
    event ChallengeAnswered(uint256 indexed challengeId, uint256 segmentIndex);
    event ChallengeSlashed(uint256 indexed challengeId, uint256 slashed);

    error InvalidConfig();
    error WrongBond(uint256 expected, uint256 sent);
    error ModelNotChallengeable(uint256 modelId);
    error NotACustodian(uint256 modelId, uint16 version, address account);
    error ChallengeNotOpen(uint256 challengeId);
    error NotChallengedCustodian(address caller);
    error SeedNotReady(uint64 seedBlock);
    error DeadlinePassed(uint64 deadlineBlock);
    error DeadlineNotReached(uint64 deadlineBlock);
    error InvalidSegment(uint256 length);
    error InvalidStorageProof();

    /// @param vault_ ModelVault holding the storage commitments and custodian sets.
    /// @param custodians_ CustodianRegistry that this contract is bound to as slasher.
    /// @param bond_ Exact bond per challenge (paid to the custodian on a valid response).
    /// @param window Response window in blocks after the seed block (1..255).
    /// @param slashBps_ Share of stake slashed on a missed deadline.
    /// @param rewardBps Share of the slashed stake for the challenger.
    constructor(
        IModelVault vault_,
        ICustodianRegistry custodians_,
        uint128 bond_,
        uint64 window,
        uint16 slashBps_,
        uint16 rewardBps
    ) {
        if (address(vault_) == address(0) || address(custodians_) == address(0)) revert InvalidConfig();
        if (window == 0 || window > 255 || slashBps_ > 10_000 || rewardBps > 10_000) revert InvalidConfig();
        (vault, custodians, bond, responseWindow, slashBps, challengerRewardBps) =
            (vault_, custodians_, bond_, window, slashBps_, rewardBps);
    }

    /// @notice Challenges `custodian` to prove it stores the current version of `modelId`.
    /// @param modelId A model that is not retired.
    /// @param custodian A member of the current version's custodian set.
    /// @return challengeId The new challenge.
    function challenge(uint256 modelId, address custodian) external payable returns (uint256 challengeId) {
        if (msg.value != bond) revert WrongBond(bond, msg.value);
        (address owner, uint16 version, IModelVault.Status status) = vault.modelState(modelId);
        if (owner == address(0) || status == IModelVault.Status.Retired) revert ModelNotChallengeable(modelId);
        if (!vault.isCustodian(modelId, version, custodian)) revert NotACustodian(modelId, version, custodian);
        challengeId = ++challengeCount;
        uint64 seedBlock = uint64(block.number) + 1;
        uint64 deadlineBlock = seedBlock + responseWindow;
        challenges[challengeId] =
            Challenge(msg.sender, seedBlock, deadlineBlock, State.Open, custodian, version, uint128(msg.value), modelId);
        emit ChallengeOpened(challengeId, modelId, version, custodian, msg.sender, seedBlock, deadlineBlock);
        custodians.lockForChallenge(custodian);
    }

    /// @notice Answers a challenge with the drawn segment and its Merkle proof; the bond is credited
    ///         to the custodian.
    /// @param challengeId The challenge.
    /// @param segment The ciphertext bytes of segment segmentIndex(challengeId) (at most 4 KiB).
    /// @param proof Sibling hashes from the leaf to the storage root.
    function respond(uint256 challengeId, bytes calldata segment, bytes32[] calldata proof) external {
        Challenge storage c = _open(challengeId);
        if (msg.sender != c.custodian) revert NotChallengedCustodian(msg.sender);
        if (block.number > c.deadlineBlock) revert DeadlinePassed(c.deadlineBlock);
        if (segment.length == 0 || segment.length > SEGMENT_SIZE) revert InvalidSegment(segment.length);
        uint256 index = segmentIndex(challengeId);
        (bytes32 root,) = vault.storageCommitment(c.modelId, c.version);
        bytes32 leaf = sha256(bytes.concat(sha256(abi.encodePacked(index, segment))));
        if (!MerkleProof.verifyCalldata(proof, root, leaf, _sortedSha256)) revert InvalidStorageProof();
        c.state = State.Answered;
        emit ChallengeAnswered(challengeId, index);
        _credit(msg.sender, c.bond);
        custodians.releaseChallenge(msg.sender);
    }

    /// @notice Slashes the custodian of an unanswered challenge after its deadline; anyone may call.
    /// @param challengeId The challenge.
    function slash(uint256 challengeId) external {
        Challenge storage c = _open(challengeId);
        if (block.number <= c.deadlineBlock) revert DeadlineNotReached(c.deadlineBlock);
        c.state = State.Slashed;
        _credit(c.challenger, c.bond);
        uint256 slashed = custodians.slash(c.custodian, slashBps, c.challenger, challengerRewardBps);
        emit ChallengeSlashed(challengeId, slashed);
    }

    /// @notice The segment a challenge asks for; known from the block after the challenge on.
    /// @param challengeId The challenge.
    function segmentIndex(uint256 challengeId) public view returns (uint256) {
        Challenge storage c = challenges[challengeId];
        if (c.state == State.None) revert ChallengeNotOpen(challengeId);
        if (block.number <= c.seedBlock) revert SeedNotReady(c.seedBlock);
        (, uint32 segmentCount) = vault.storageCommitment(c.modelId, c.version);
        // Responses end within 255 blocks of the seed, so its hash is always available then.
        return uint256(keccak256(abi.encode(blockhash(c.seedBlock), challengeId))) % segmentCount;
    }

    /// @dev The inner-node hash: SHA-256 of the pair in ascending order (commutative, as
    ///      MerkleProof requires).
    function _sortedSha256(bytes32 a, bytes32 b) private pure returns (bytes32) {
        return a < b ? sha256(abi.encodePacked(a, b)) : sha256(abi.encodePacked(b, a));
    }

    function _open(uint256 challengeId) private view returns (Challenge storage c) {
        c = challenges[challengeId];
        if (c.state != State.Open) revert ChallengeNotOpen(challengeId);
    }
}
