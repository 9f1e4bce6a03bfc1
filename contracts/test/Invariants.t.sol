// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {vm} from "./Vm.sol";
import {ModelVault} from "../ModelVault.sol";
import {ModelRegistry} from "../ModelRegistry.sol";
import {Licenses} from "../Licenses.sol";
import {CustodianRegistry} from "../CustodianRegistry.sol";
import {LicenseeStaking} from "../LicenseeStaking.sol";
import {StorageChallenges} from "../StorageChallenges.sol";

/// Fuzz tests of the accounting and access invariants across the deployed set.
contract InvariantsTest {
    uint256 constant MIN_STAKE = 1 ether;
    CustodianRegistry custodians;
    LicenseeStaking staking;
    ModelVault vault;
    StorageChallenges challenges;
    address[] set;
    address constant POOL = address(0xB001);
    bytes constant KEY = hex"0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

    receive() external payable {}

    function setUp() public {
        custodians = new CustodianRegistry(MIN_STAKE, 1 days, POOL);
        staking = new LicenseeStaking(1 days);
        vault = new ModelVault(custodians, staking, 2_000, 1 hours);
        staking.bind(address(vault));
        challenges = new StorageChallenges(vault, custodians, 0.01 ether, 10, 1_000, 5_000);
        custodians.bind(address(challenges));
        for (uint160 i = 1; i <= 3; i++) {
            address c = address(0xC000 + i);
            vm.deal(c, 100 ether);
            vm.prank(c);
            custodians.register{value: MIN_STAKE}(KEY, "http://127.0.0.1");
            set.push(c);
        }
        vault.registerModel(_params(), ModelRegistry.Terms(1 ether, 0, 0, 0, false));
    }

    function _params() internal view returns (ModelRegistry.VersionParams memory) {
        return ModelRegistry.VersionParams("bafy", 1, 2, keccak256("root"), 4, set, 2);
    }

    function _require(bool ok, string memory what) internal pure {
        require(ok, what);
    }

    /// Uses never underflow or exceed maxUses, and an exhausted licence yields no ticket.
    function testFuzz_usesBoundedAndExhaustedYieldsNoTicket(uint8 maxUses, uint8 requests) public {
        maxUses = uint8(bound(maxUses, 1, 12));
        requests = uint8(bound(requests, 0, 20));
        address user = address(0xA11CE);
        vault.grant(1, user, 0, maxUses);
        for (uint256 i; i < requests; i++) {
            if (i >= maxUses) vm.expectPartialRevert(Licenses.LicenseExhausted.selector);
            vm.prank(user);
            vault.requestKey(1, KEY);
        }
        uint32 used = vault.licenseOf(1, user).used;
        _require(used == (requests < maxUses ? requests : maxUses), "used count");
        _require(used <= maxUses, "used <= maxUses");
        _require(vault.hasAccess(1, user) == (requests < maxUses), "access");
    }

    /// A revoked or expired licence never yields a ticket.
    function testFuzz_revokedOrExpiredYieldsNoTicket(uint32 lifetime, uint32 elapsed, bool revoke) public {
        lifetime = uint32(bound(lifetime, 1, 365 days));
        elapsed = uint32(bound(elapsed, 0, 2 * 365 days));
        address user = address(0xB0B);
        uint40 expiresAt = uint40(block.timestamp + lifetime);
        vault.grant(1, user, expiresAt, 0);
        if (revoke) vault.revoke(1, user);
        vm.warp(block.timestamp + elapsed);
        if (revoke) vm.expectPartialRevert(Licenses.LicenseIsRevoked.selector);
        else if (block.timestamp >= expiresAt) vm.expectPartialRevert(Licenses.LicenseExpired.selector);
        vm.prank(user);
        vault.requestKey(1, KEY);
    }

    /// Funds are conserved: everything withdrawn plus everything still held equals what was paid in.
    function testFuzz_fundsConserved(uint96 price, uint8 buyers) public {
        price = uint96(bound(price, 0, 1_000 ether));
        buyers = uint8(bound(buyers, 1, 8));
        vault.setTerms(1, ModelRegistry.Terms(price, 0, 0, 0, false));
        uint256 paidIn;
        for (uint160 i = 1; i <= buyers; i++) {
            address b = address(0xE000 + i);
            vm.deal(b, price);
            vm.prank(b);
            vault.buy{value: price}(1);
            paidIn += price;
        }
        uint256 withdrawn;
        if (vault.pendingRevenue(1, 1, address(this)) != 0) {
            uint256 before = address(this).balance;
            vault.claimRevenue(1, 1);
            vault.withdraw();
            withdrawn += address(this).balance - before;
        }
        for (uint256 i; i < set.length; i++) {
            if (vault.pendingRevenue(1, 1, set[i]) == 0) continue;
            uint256 before = set[i].balance;
            vm.startPrank(set[i]);
            vault.claimRevenue(1, 1);
            vault.withdraw();
            vm.stopPrank();
            withdrawn += set[i].balance - before;
        }
        _require(withdrawn <= paidIn, "withdrawn <= paid in");
        _require(address(vault).balance == paidIn - withdrawn, "held == paid - withdrawn");
        _require(address(vault).balance < set.length + 1, "only rounding dust may stay (< n wei)");
    }

    /// Stake a live licence requires can never be requested out, let alone withdrawn.
    function testFuzz_lockedStakeNeverWithdrawable(uint96 required, uint96 staked, uint96 amount) public {
        required = uint96(bound(required, 1, 100 ether));
        staked = uint96(bound(staked, required, 200 ether));
        amount = uint96(bound(amount, 1, staked));
        vault.setTerms(1, ModelRegistry.Terms(0, 0, 0, required, false));
        address user = address(0xCAFE);
        vm.deal(user, staked);
        vm.startPrank(user);
        staking.stake{value: staked}(1);
        vault.buy(1);
        if (staked - amount < required) vm.expectPartialRevert(LicenseeStaking.StakeLocked.selector);
        staking.requestUnstake(1, amount);
        vm.warp(block.timestamp + 2 days);
        (, uint128 unbonding,) = staking.stakes(user, 1);
        if (unbonding != 0) staking.withdraw(1);
        vm.stopPrank();
        _require(staking.stakeOf(user, 1) >= required, "locked stake stays");
        _require(user.balance <= staked - required, "never more than the unlocked part");
    }

    /// A slashed custodian's stake accounting stays exact.
    function testFuzz_slashAccountingExact(uint96 extra, uint96 unbond) public {
        address c = set[0];
        extra = uint96(bound(extra, 0, 50 ether));
        vm.startPrank(c);
        if (extra != 0) custodians.addStake{value: extra}();
        uint256 total = MIN_STAKE + extra;
        unbond = uint96(bound(unbond, 0, total));
        if (unbond != 0) custodians.requestUnbond(unbond);
        vm.stopPrank();
        uint256 heldBefore = address(custodians).balance;
        vm.deal(address(this), 1 ether);
        bytes32 salt = keccak256(abi.encode(extra, unbond));
        uint256 id = challenges.challenge{value: 0.01 ether}(1, c, keccak256(abi.encode(address(this), salt)));
        vm.roll(block.number + 2);
        challenges.reveal(id, salt);
        vm.roll(block.number + 20);
        challenges.slash(id);
        CustodianRegistry.Custodian memory info = custodians.custodianInfo(c);
        uint256 slashed = total * 1_000 / 10_000;
        _require(uint256(info.stake) + info.unbonding == total - slashed, "stake reduced by exactly the slash");
        _require(custodians.balanceOf(address(this)) + custodians.balanceOf(POOL) == slashed, "slash fully credited");
        _require(address(custodians).balance == heldBefore, "no ether left the registry");
        _require(address(custodians).balance == custodians.totalStaked() + custodians.totalOwed(), "ledger matches ether");
        _require(info.openChallenges == 0, "challenge released");
    }

    /// A challenge that is never revealed cannot be slashed; it lapses with the custodian's stake
    /// untouched and its bond credited to the pool.
    function testFuzz_unrevealedChallengeNeverSlashes(uint16 wait, bytes32 salt) public {
        address c = set[1];
        vm.deal(address(this), 1 ether);
        uint256 id = challenges.challenge{value: 0.01 ether}(1, c, keccak256(abi.encode(address(this), salt)));
        wait = uint16(bound(wait, 1, 2_000));
        vm.roll(block.number + wait);
        vm.expectPartialRevert(StorageChallenges.NotRevealed.selector);
        challenges.slash(id);
        (,,, uint64 revealDeadline,,,,,,) = challenges.challenges(id);
        if (block.number <= revealDeadline) vm.expectPartialRevert(StorageChallenges.DeadlineNotReached.selector);
        challenges.lapse(id);
        CustodianRegistry.Custodian memory info = custodians.custodianInfo(c);
        _require(info.stake == MIN_STAKE, "stake untouched");
        if (block.number > revealDeadline) {
            _require(info.openChallenges == 0, "challenge released");
            _require(challenges.balanceOf(POOL) == 0.01 ether, "bond to the pool");
            _require(challenges.balanceOf(c) == 0, "nothing to the custodian");
            _require(address(challenges).balance == challenges.totalOwed(), "ledger matches ether");
        }
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + x % (hi - lo + 1);
    }
}
