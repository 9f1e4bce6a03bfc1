// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ReentrantReceiver
/// @notice Test-only attacker: forwards calls to a target and, when it receives ether, calls the
///         target again with `reenterData` once, recording whether that nested call succeeded.
contract ReentrantReceiver {
    address public immutable target;
    bytes public reenterData;
    bool public reentryAttempted;
    bool public reentrySucceeded;
    bytes public reentryError;
    uint256 public received;

    error ForwardFailed(bytes reason);

    constructor(address target_) {
        target = target_;
    }

    /// @notice Sets the call made from receive().
    function setReenter(bytes calldata data) external {
        reenterData = data;
    }

    /// @notice Calls the target with `data` and `msg.value`, bubbling a revert.
    function forward(bytes calldata data) external payable {
        (bool ok, bytes memory ret) = target.call{value: msg.value}(data);
        if (!ok) revert ForwardFailed(ret);
    }

    receive() external payable {
        received += msg.value;
        if (reentryAttempted || reenterData.length == 0) return;
        reentryAttempted = true;
        (bool ok, bytes memory ret) = target.call(reenterData);
        reentrySucceeded = ok;
        reentryError = ret;
    }
}
