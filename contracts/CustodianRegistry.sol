// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {DeployerBinding} from "./DeployerBinding.sol";
import {PullPayments} from "./PullPayments.sol";
import {ICustodianRegistry} from "./interfaces/ICustodianRegistry.sol";

/// @title CustodianRegistry
/// @notice Custodians register a secp256k1 public key (key shares are wrapped to it) and an
///         endpoint, and bond ether. Unbonding takes a delay and waits for open challenges. The
///         bound StorageChallenges contract (DeployerBinding) is the only slasher; slashed ether
///         is credited to the challenger and the pool (pull payments).
contract CustodianRegistry is ICustodianRegistry, DeployerBinding, PullPayments {
    struct Custodian {
        uint128 stake; // bonded
        uint128 unbonding; // requested out; still slashable
        uint64 unbondAt;
        uint32 openChallenges;
        bool registered;
        bytes publicKey; // 33-byte compressed secp256k1
        string endpoint;
    }

    /// @notice Longest endpoint string accepted.
    uint256 public constant MAX_ENDPOINT_LENGTH = 256;
    /// @notice Bonded stake a custodian needs to be active.
    uint256 public immutable minStake;
    /// @notice Seconds between an unbond request and the withdrawal.
    uint64 public immutable unbondingDelay;
    /// @notice Receives the pool's part of slashed stake.
    address public immutable pool;
    /// @notice Bonded plus unbonding stake of all custodians.
    uint256 public totalStaked;

    mapping(address account => Custodian) internal _custodians;

    event CustodianRegistered(address indexed custodian, bytes publicKey, string endpoint, uint256 stake);
    event CustodianUpdated(address indexed custodian, bytes publicKey, string endpoint);
    event StakeAdded(address indexed custodian, uint256 amount, uint256 stake);
    event UnbondRequested(address indexed custodian, uint256 amount, uint64 unbondAt);
    event Unbonded(address indexed custodian, uint256 amount);
    event ChallengeLocked(address indexed custodian, uint32 openChallenges);
    event ChallengeReleased(address indexed custodian, uint32 openChallenges);
    event Slashed(address indexed custodian, uint256 amount, address indexed challenger, uint256 reward, uint256 toPool);

    error AlreadyRegistered(address account);
    error NotRegistered(address account);
    error InvalidPublicKey();
    error InvalidEndpoint();
    error StakeBelowMinimum(uint256 minimum, uint256 stake);
    error ZeroAmount();
    error AmountExceedsStake(uint256 amount, uint256 stake);
    error NothingUnbonding();
    error UnbondingActive(uint64 unbondAt);
    error ChallengesOpen(uint32 count);
    error NotSlasher(address caller);
    error InvalidBps(uint256 bps);
    error NoOpenChallenge(address custodian);

    /// @param minimumStake Bonded stake a custodian needs to be active.
    /// @param delay Seconds between an unbond request and the withdrawal.
    /// @param slashPool Receives the pool's part of slashed stake.
    constructor(uint256 minimumStake, uint64 delay, address slashPool) {
        if (slashPool == address(0)) revert ZeroPeer();
        minStake = minimumStake;
        unbondingDelay = delay;
        pool = slashPool;
    }

    modifier onlySlasher() {
        if (msg.sender != _peer()) revert NotSlasher(msg.sender);
        _;
    }

    /// @notice Registers the caller with its share-wrapping key and endpoint, bonding the ether sent
    ///         (at least minStake).
    /// @param publicKey 33-byte compressed secp256k1 public key.
    /// @param endpoint Where licensees reach the custodian (e.g. an HTTP URL or multiaddr).
    function register(bytes calldata publicKey, string calldata endpoint) external payable {
        Custodian storage c = _custodians[msg.sender];
        if (c.registered) revert AlreadyRegistered(msg.sender);
        _checkProfile(publicKey, endpoint);
        if (msg.value < minStake) revert StakeBelowMinimum(minStake, msg.value);
        (c.registered, c.publicKey, c.endpoint, c.stake) = (true, publicKey, endpoint, uint128(msg.value));
        totalStaked += msg.value;
        emit CustodianRegistered(msg.sender, publicKey, endpoint, msg.value);
    }

    /// @notice Replaces the caller's public key and endpoint.
    /// @param publicKey 33-byte compressed secp256k1 public key.
    /// @param endpoint The new endpoint.
    function updateProfile(bytes calldata publicKey, string calldata endpoint) external {
        Custodian storage c = _registered(msg.sender);
        _checkProfile(publicKey, endpoint);
        (c.publicKey, c.endpoint) = (publicKey, endpoint);
        emit CustodianUpdated(msg.sender, publicKey, endpoint);
    }

    /// @notice Bonds the ether sent on top of the caller's stake.
    function addStake() external payable {
        if (msg.value == 0) revert ZeroAmount();
        Custodian storage c = _registered(msg.sender);
        c.stake += uint128(msg.value);
        totalStaked += msg.value;
        emit StakeAdded(msg.sender, msg.value, c.stake);
    }

    /// @notice Moves `amount` of bonded stake to unbonding; withdrawable after unbondingDelay (a new
    ///         request restarts the delay). Unbonding stake stays slashable.
    /// @param amount Wei to unbond.
    function requestUnbond(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Custodian storage c = _registered(msg.sender);
        if (amount > c.stake) revert AmountExceedsStake(amount, c.stake);
        uint64 unbondAt = uint64(block.timestamp) + unbondingDelay;
        (c.stake, c.unbonding, c.unbondAt) = (c.stake - uint128(amount), c.unbonding + uint128(amount), unbondAt);
        emit UnbondRequested(msg.sender, amount, unbondAt);
    }

    /// @notice Sends the caller its unbonding stake after the delay, when no challenge is open.
    function withdrawUnbonded() external nonReentrant {
        Custodian storage c = _custodians[msg.sender];
        uint256 amount = c.unbonding;
        if (amount == 0) revert NothingUnbonding();
        if (block.timestamp < c.unbondAt) revert UnbondingActive(c.unbondAt);
        if (c.openChallenges != 0) revert ChallengesOpen(c.openChallenges);
        c.unbonding = 0;
        totalStaked -= amount;
        emit Unbonded(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    /// @inheritdoc ICustodianRegistry
    function lockForChallenge(address custodian) external onlySlasher {
        Custodian storage c = _registered(custodian);
        emit ChallengeLocked(custodian, ++c.openChallenges);
    }

    /// @inheritdoc ICustodianRegistry
    function releaseChallenge(address custodian) external onlySlasher {
        emit ChallengeReleased(custodian, _release(custodian));
    }

    /// @inheritdoc ICustodianRegistry
    function slash(address custodian, uint16 slashBps, address challenger, uint16 rewardBps)
        external
        onlySlasher
        returns (uint256 slashed)
    {
        if (slashBps > 10_000) revert InvalidBps(slashBps);
        if (rewardBps > 10_000) revert InvalidBps(rewardBps);
        Custodian storage c = _custodians[custodian];
        uint32 open = _release(custodian);
        uint256 bonded = c.stake;
        slashed = (bonded + c.unbonding) * slashBps / 10_000;
        // Bonded stake first, then unbonding: leaving the set does not escape a slash.
        uint256 fromBonded = slashed < bonded ? slashed : bonded;
        (c.stake, c.unbonding) = (uint128(bonded - fromBonded), c.unbonding - uint128(slashed - fromBonded));
        totalStaked -= slashed;
        uint256 reward = slashed * rewardBps / 10_000;
        emit ChallengeReleased(custodian, open);
        emit Slashed(custodian, slashed, challenger, reward, slashed - reward);
        if (reward != 0) _credit(challenger, reward);
        if (slashed != reward) _credit(pool, slashed - reward);
    }

    /// @inheritdoc ICustodianRegistry
    function isActive(address account) external view returns (bool) {
        Custodian storage c = _custodians[account];
        return c.registered && c.stake >= minStake;
    }

    /// @notice A custodian's registration, stake and profile.
    /// @param account The custodian.
    function custodianInfo(address account) external view returns (Custodian memory) {
        return _custodians[account];
    }

    function _release(address account) private returns (uint32 open) {
        Custodian storage c = _custodians[account];
        if (c.openChallenges == 0) revert NoOpenChallenge(account);
        open = --c.openChallenges;
    }

    function _registered(address account) private view returns (Custodian storage c) {
        c = _custodians[account];
        if (!c.registered) revert NotRegistered(account);
    }

    function _checkProfile(bytes calldata publicKey, string calldata endpoint) private pure {
        if (publicKey.length != 33 || (publicKey[0] != 0x02 && publicKey[0] != 0x03)) revert InvalidPublicKey();
        uint256 n = bytes(endpoint).length;
        if (n == 0 || n > MAX_ENDPOINT_LENGTH) revert InvalidEndpoint();
    }
}
