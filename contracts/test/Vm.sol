// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The few cheatcodes the Solidity tests use (Hardhat 3 / EDR, forge-std compatible).
interface Vm {
    function warp(uint256 timestamp) external;
    function roll(uint256 blockNumber) external;
    function deal(address account, uint256 balance) external;
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function expectPartialRevert(bytes4 selector) external;
    function assume(bool condition) external;
}

Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
