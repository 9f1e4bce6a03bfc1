// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title PullPayments
/// @notice Credits owed ether to balances that their holders withdraw themselves, so no
///         state-changing path ever pushes ether to an address it does not control.
abstract contract PullPayments is ReentrancyGuard {
    /// @notice Ether each account may withdraw.
    mapping(address account => uint256) public balanceOf;
    /// @notice Sum of all credited, not yet withdrawn balances.
    uint256 public totalOwed;

    /// @notice `account` may now withdraw `amount` more.
    event Credited(address indexed account, uint256 amount);
    /// @notice `account` withdrew `amount`.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice The caller has no balance to withdraw.
    error NothingToWithdraw();

    /// @notice Sends the caller its whole balance (checks, effects, then the interaction).
    function withdraw() external nonReentrant {
        uint256 amount = balanceOf[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        balanceOf[msg.sender] = 0;
        totalOwed -= amount;
        emit Withdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    function _credit(address account, uint256 amount) internal {
        balanceOf[account] += amount;
        totalOwed += amount;
        emit Credited(account, amount);
    }
}
