// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title DeployerBinding
/// @notice Closes a dependency cycle between two contracts: the deployer sets the peer address
///         once, after which nobody can change it (there is no other admin).
abstract contract DeployerBinding {
    address private immutable _deployer;
    /// @notice The bound peer contract (zero until bound).
    address public bound;

    /// @notice The deployer bound `peer`.
    event Bound(address indexed peer);

    error NotDeployer(address caller);
    error AlreadyBound(address peer);
    error NotBound();
    error ZeroPeer();

    constructor() {
        _deployer = msg.sender;
    }

    /// @notice Binds the peer contract; callable once, by the deployer.
    /// @param peer The peer's address.
    function bind(address peer) external {
        if (msg.sender != _deployer) revert NotDeployer(msg.sender);
        if (bound != address(0)) revert AlreadyBound(bound);
        if (peer == address(0)) revert ZeroPeer();
        bound = peer;
        emit Bound(peer);
    }

    function _peer() internal view returns (address peer) {
        peer = bound;
        if (peer == address(0)) revert NotBound();
    }
}
