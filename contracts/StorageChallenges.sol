// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {PullPayments} from "./PullPayments.sol";
import {IModelVault} from "./interfaces/IModelVault.sol";
import {ICustodianRegistry} from "./interfaces/ICustodianRegistry.sol";

/// @title StorageChallenges
/// @notice Proof of storage. Anyone posts a bond and challenges a custodian of a model's current
///         version, committing to a secret salt; after the next block is mined the challenger
///         reveals the salt, which fixes the segment index as
///         keccak256(abi.encode(salt, blockhash(seedBlock), challengeId)) mod segmentCount. The
///         custodian then answers with that 4 KiB segment and its Merkle proof against the root
///         committed at registration within the response window, earning the bond, or anyone may
///         slash it afterwards (bond back to the challenger, slashed stake to the challenger and
///         the pool). A challenge never revealed lapses: the bond goes to the pool, the custodian
///         is released unslashed.
/// @dev Who can pick the index: the custodian cannot (the salt is secret until the seed block is
///      fixed); the seed block's producer cannot (it can grind the block hash, but does not know
///      the salt); the challenger cannot (it commits before the hash exists, and can only abort,
///      forfeiting the bond). Only the challenger and the seed block's producer together can.
///      SHA-256 tree throughout, so a node builds it at native hashing speed while it publishes:
///      leaf i = sha256(sha256(abi.encodePacked(uint256 i, segment_i))), node = sha256 of the sorted
///      pair (OpenZeppelin's SimpleMerkleTree shape with a custom node hash). The double hash keeps a
///      leaf from passing for an inner node; binding the index stops one stored segment from
///      answering every index.
contract StorageChallenges is PullPayments {
    enum State {
        None,
        Committed, // waiting for the challenger's reveal
        Revealed, // index fixed, waiting for the custodian's response
        Answered,
        Slashed,
        Lapsed // never revealed
    }

    struct Challenge {
        address challenger;
        uint64 seedBlock; // its hash is mixed with the salt
        uint32 segmentIndex; // set by reveal
        uint64 deadlineBlock; // last block of the current step: the reveal, then the response
        State state;
        address custodian;
        uint16 version;
        uint128 bond;
        uint256 modelId;
        bytes32 commitment; // keccak256(abi.encode(challenger, salt))
    }

    /// @notice Segment size the storage root is built over.
    uint256 public constant SEGMENT_SIZE = 4096;
    /// @notice Blocks after the seed block in which the challenger can reveal: as long as
    ///         BLOCKHASH still returns the seed block's hash.
    uint64 public constant REVEAL_WINDOW = 256;
    IModelVault public immutable vault;
    ICustodianRegistry public immutable custodians;
    /// @notice Exact bond a challenge costs.
    uint128 public immutable bond;
    /// @notice Blocks after the reveal block in which the custodian can respond (1..255).
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
    /// @notice The index is fixed; the custodian must respond by `deadlineBlock`.
    event ChallengeRevealed(
        uint256 indexed challengeId, address indexed custodian, bytes32 salt, uint256 segmentIndex, uint64 deadlineBlock
    );
    event ChallengeAnswered(uint256 indexed challengeId, uint256 segmentIndex);
    event ChallengeSlashed(uint256 indexed challengeId, uint256 slashed);
    /// @notice Never revealed: the bond went to the pool, the custodian was released.
    event ChallengeLapsed(uint256 indexed challengeId);

    error InvalidConfig();
    error WrongBond(uint256 expected, uint256 sent);
    error ModelNotChallengeable(uint256 modelId);
    error NotACustodian(uint256 modelId, uint16 version, address account);
    error ChallengeNotOpen(uint256 challengeId);
    error NotRevealed(uint256 challengeId);
    error AlreadyRevealed(uint256 challengeId);
    error InvalidReveal(uint256 challengeId);
    error NotChallengedCustodian(address caller);
    error SeedNotReady(uint64 seedBlock);
    error DeadlinePassed(uint64 deadlineBlock);
    error DeadlineNotReached(uint64 deadlineBlock);
    error InvalidSegment(uint256 length);
    error InvalidStorageProof();

    /// @param vault_ ModelVault holding the storage commitments and custodian sets.
    /// @param custodians_ CustodianRegistry that this contract is bound to as slasher.
    /// @param bond_ Exact bond per challenge (paid to the custodian on a valid response).
    /// @param window Response window in blocks after the reveal block (1..255).
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
    /// @param commitment keccak256(abi.encode(msg.sender, salt)) for a secret, uniformly random
    ///        32-byte salt that the caller reveals after the next block (see reveal).
    /// @return challengeId The new challenge.
    function challenge(uint256 modelId, address custodian, bytes32 commitment)
        external
        payable
        returns (uint256 challengeId)
    {
        if (msg.value != bond) revert WrongBond(bond, msg.value);
        (address owner, uint16 version, IModelVault.Status status) = vault.modelState(modelId);
        if (owner == address(0) || status == IModelVault.Status.Retired) revert ModelNotChallengeable(modelId);
        if (!vault.isCustodian(modelId, version, custodian)) revert NotACustodian(modelId, version, custodian);
        challengeId = ++challengeCount;
        uint64 seedBlock = uint64(block.number) + 1;
        uint64 revealDeadline = seedBlock + REVEAL_WINDOW;
        challenges[challengeId] = Challenge(
            msg.sender,
            seedBlock,
            0,
            revealDeadline,
            State.Committed,
            custodian,
            version,
            uint128(msg.value),
            modelId,
            commitment
        );
        emit ChallengeOpened(challengeId, modelId, version, custodian, msg.sender, seedBlock, revealDeadline);
        custodians.lockForChallenge(custodian);
    }

    /// @notice Reveals the challenge's salt, which fixes the segment index and starts the
    ///         custodian's response window. Anyone who knows the salt may call.
    /// @param challengeId A committed challenge whose seed block is mined, at most REVEAL_WINDOW
    ///        blocks ago.
    /// @param salt The salt the challenger committed to.
    function reveal(uint256 challengeId, bytes32 salt) external {
        Challenge storage c = _inState(challengeId, State.Committed);
        if (block.number <= c.seedBlock) revert SeedNotReady(c.seedBlock);
        if (block.number > c.deadlineBlock) revert DeadlinePassed(c.deadlineBlock);
        if (keccak256(abi.encode(c.challenger, salt)) != c.commitment) revert InvalidReveal(challengeId);
        (, uint32 segmentCount) = vault.storageCommitment(c.modelId, c.version);
        // The window keeps the seed block within BLOCKHASH's 256 blocks.
        uint32 index = uint32(uint256(keccak256(abi.encode(salt, blockhash(c.seedBlock), challengeId))) % segmentCount);
        uint64 deadlineBlock = uint64(block.number) + responseWindow;
        (c.segmentIndex, c.deadlineBlock, c.state) = (index, deadlineBlock, State.Revealed);
        emit ChallengeRevealed(challengeId, c.custodian, salt, index, deadlineBlock);
    }

    /// @notice Answers a revealed challenge with the drawn segment and its Merkle proof; the bond
    ///         is credited to the custodian.
    /// @param challengeId The challenge.
    /// @param segment The ciphertext bytes of segment segmentIndex(challengeId) (at most 4 KiB).
    /// @param proof Sibling hashes from the leaf to the storage root.
    function respond(uint256 challengeId, bytes calldata segment, bytes32[] calldata proof) external {
        Challenge storage c = _inState(challengeId, State.Revealed);
        if (msg.sender != c.custodian) revert NotChallengedCustodian(msg.sender);
        if (block.number > c.deadlineBlock) revert DeadlinePassed(c.deadlineBlock);
        if (segment.length == 0 || segment.length > SEGMENT_SIZE) revert InvalidSegment(segment.length);
        uint256 index = c.segmentIndex;
        (bytes32 root,) = vault.storageCommitment(c.modelId, c.version);
        bytes32 leaf = sha256(bytes.concat(sha256(abi.encodePacked(index, segment))));
        if (!MerkleProof.verifyCalldata(proof, root, leaf, _sortedSha256)) revert InvalidStorageProof();
        c.state = State.Answered;
        emit ChallengeAnswered(challengeId, index);
        _credit(msg.sender, c.bond);
        custodians.releaseChallenge(msg.sender);
    }

    /// @notice Slashes the custodian of a revealed, unanswered challenge after its response
    ///         deadline; anyone may call. An unrevealed challenge can never be slashed.
    /// @param challengeId The challenge.
    function slash(uint256 challengeId) external {
        Challenge storage c = _inState(challengeId, State.Revealed);
        if (block.number <= c.deadlineBlock) revert DeadlineNotReached(c.deadlineBlock);
        c.state = State.Slashed;
        _credit(c.challenger, c.bond);
        uint256 slashed = custodians.slash(c.custodian, slashBps, c.challenger, challengerRewardBps);
        emit ChallengeSlashed(challengeId, slashed);
    }

    /// @notice Closes a challenge whose salt was not revealed in time; anyone may call. The bond
    ///         goes to the registry's pool (not the custodian, so censoring a reveal never pays)
    ///         and the custodian's stake is released untouched.
    /// @param challengeId The challenge.
    function lapse(uint256 challengeId) external {
        Challenge storage c = _inState(challengeId, State.Committed);
        if (block.number <= c.deadlineBlock) revert DeadlineNotReached(c.deadlineBlock);
        c.state = State.Lapsed;
        emit ChallengeLapsed(challengeId);
        _credit(custodians.pool(), c.bond);
        custodians.releaseChallenge(c.custodian);
    }

    /// @notice The segment a challenge asks for; known from its reveal on.
    /// @param challengeId The challenge.
    function segmentIndex(uint256 challengeId) external view returns (uint256) {
        Challenge storage c = challenges[challengeId];
        if (c.state == State.None) revert ChallengeNotOpen(challengeId);
        if (c.state == State.Committed || c.state == State.Lapsed) revert NotRevealed(challengeId);
        return c.segmentIndex;
    }

    /// @dev The inner-node hash: SHA-256 of the pair in ascending order (commutative, as
    ///      MerkleProof requires).
    function _sortedSha256(bytes32 a, bytes32 b) private pure returns (bytes32) {
        return a < b ? sha256(abi.encodePacked(a, b)) : sha256(abi.encodePacked(b, a));
    }

    /// @dev The challenge, if it is in `expected`; otherwise the error that says why not.
    function _inState(uint256 challengeId, State expected) private view returns (Challenge storage c) {
        c = challenges[challengeId];
        State actual = c.state;
        if (actual == expected) return c;
        if (actual == State.Committed) revert NotRevealed(challengeId);
        if (actual == State.Revealed) revert AlreadyRevealed(challengeId);
        revert ChallengeNotOpen(challengeId);
    }
}
