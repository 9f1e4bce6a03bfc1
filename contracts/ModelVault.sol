// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ModelRegistry} from "./ModelRegistry.sol";
import {RevenueSplit} from "./RevenueSplit.sol";
import {Licenses} from "./Licenses.sol";
import {ICustodianRegistry} from "./interfaces/ICustodianRegistry.sol";
import {ILicenseeStaking} from "./interfaces/ILicenseeStaking.sol";

/// @title ModelVault
/// @notice The deployed registry + licences + revenue contract. Its parts live in
///         ModelRegistry.sol, Licenses.sol, RevenueSplit.sol and PullPayments.sol; they are one
///         contract so that buy and requestKey stay within their gas budgets.
contract ModelVault is Licenses {
    /// @param custodians Custodian stake registry that custodian sets are checked against.
    /// @param staking Licensee stake contract (bound to this vault after deployment).
    /// @param custodianShareBps Share of each sale, in basis points, for the version's custodians.
    /// @param ticketTtl Seconds an access ticket stays valid.
    constructor(ICustodianRegistry custodians, ILicenseeStaking staking, uint16 custodianShareBps, uint32 ticketTtl)
        ModelRegistry(custodians)
        RevenueSplit(custodianShareBps)
        Licenses(staking, ticketTtl)
    {}
}
