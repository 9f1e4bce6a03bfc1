// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RevenueSplit} from "./RevenueSplit.sol";
import {ILicenseeStaking} from "./interfaces/ILicenseeStaking.sol";

/// @title Licenses
/// @notice Licences (bought, granted, revoked; time- and use-limited) and the access tickets
///         that custodians honour. A ticket is the only thing a custodian releases a key share
///         for, so every release has an on-chain record: the KeyRequested event and ticket().
abstract contract Licenses is RevenueSplit {
    // One slot. version == 0 means no licence. Terms are fixed when the licence is issued.
    // Uses are counted as nonce - firstNonce, so a ticket writes a single field.
    struct License {
        uint40 expiresAt; // 0 = no expiry
        uint32 maxUses; // 0 = unlimited
        uint32 firstNonce; // nonce when this licence was issued
        uint16 version; // version the licence was issued for
        uint32 nonce; // tickets ever issued to this (model, account); never reset
        uint96 requiredStake;
        bool revoked;
    }

    /// @notice A licence as licenseOf returns it.
    struct LicenseInfo {
        uint40 expiresAt;
        uint32 maxUses;
        uint32 used;
        uint16 version;
        uint32 nonce;
        uint96 requiredStake;
        bool revoked;
    }

    // Two full words, written without read-modify-write. meta packs, from the low bits:
    // licensee (160) | modelId (32) | version (16) | expiresAt (40) | recipient key prefix (8).
    // keyX is the x coordinate of the 33-byte compressed secp256k1 recipient key.
    struct Ticket {
        uint256 meta;
        bytes32 keyX;
    }

    /// @notice What a custodian needs to decide on a share request, in one call.
    struct TicketView {
        uint256 modelId;
        uint16 version;
        address licensee;
        bytes recipientKey;
        uint64 expiresAt; // the ticket's own validity
        bool licenceLive; // licence not revoked or expired, and the ticket's version is current
        bool valid; // licenceLive and the ticket not expired
    }

    /// @notice Where licensees stake for models with a minimum stake.
    ILicenseeStaking public immutable licenseeStaking;
    /// @notice Seconds an access ticket stays valid.
    uint32 public immutable ticketTtl;

    mapping(uint256 modelId => mapping(address account => License)) internal _licenses;
    mapping(bytes32 ticketId => Ticket) internal _tickets;

    event LicensePurchased(
        uint256 indexed modelId, address indexed licensee, uint16 version, uint40 expiresAt, uint32 maxUses, uint256 price
    );
    event LicenseGranted(
        uint256 indexed modelId, address indexed licensee, uint16 version, uint40 expiresAt, uint32 maxUses
    );
    event LicenseRevoked(uint256 indexed modelId, address indexed licensee);
    event KeyRequested(
        bytes32 indexed ticketId,
        uint256 indexed modelId,
        uint16 version,
        address indexed licensee,
        bytes recipientKey,
        uint64 expiresAt
    );

    error ModelNotForSale(uint256 modelId, Status status);
    error WrongPayment(uint256 expected, uint256 sent);
    error LicenseStillActive(uint256 modelId, address account);
    error NoLicense(uint256 modelId, address account);
    error LicenseIsRevoked(uint256 modelId, address account);
    error LicenseExpired(uint256 modelId, address account, uint40 expiresAt);
    error LicenseExhausted(uint256 modelId, address account, uint32 maxUses);
    error LicenseNotForVersion(uint256 modelId, uint16 licensed, uint16 current);
    error InsufficientStake(uint256 required, uint256 staked);
    error InvalidRecipientKey();
    error ExpiryInPast(uint40 expiresAt);
    error UnknownTicket(bytes32 ticketId);
    error InvalidTicketTtl();

    // Reasons a licence gives no access, in the order they are checked.
    enum Denial {
        None,
        NoLicense,
        Revoked,
        Expired,
        Exhausted,
        WrongVersion
    }

    constructor(ILicenseeStaking staking, uint32 ttl) {
        if (address(staking) == address(0)) revert ZeroAddress();
        if (ttl == 0) revert InvalidTicketTtl();
        licenseeStaking = staking;
        ticketTtl = ttl;
    }

    /// @notice Buys a licence at the model's exact price under its current terms. Fails while the
    ///         caller still holds a live licence (nothing is lost by buying twice) or was revoked.
    /// @param modelId The model.
    function buy(uint256 modelId) external payable {
        Model storage m = _models[modelId];
        (address owner, Status status, uint128 price) = (m.owner, m.status, m.price);
        if (owner == address(0)) revert UnknownModel(modelId);
        if (status != Status.Active) revert ModelNotForSale(modelId, status);
        if (msg.value != price) revert WrongPayment(price, msg.value);
        License storage l = _licenses[modelId][msg.sender];
        if (l.revoked) revert LicenseIsRevoked(modelId, msg.sender);
        if (_denial(l, m.version, m.carryOver) == Denial.None) revert LicenseStillActive(modelId, msg.sender);
        uint40 expiresAt = m.duration == 0 ? 0 : uint40(block.timestamp) + m.duration;
        _issue(l, expiresAt, m.maxUses, m.version, m.minStake);
        _splitRevenue(modelId, m.version, m.custodianCount, msg.value);
        emit LicensePurchased(modelId, msg.sender, m.version, expiresAt, m.maxUses, msg.value);
    }

    /// @notice Gives `account` a free licence (allow-lists); replaces any licence it holds and
    ///         lifts a revocation. The stake requirement is the model's current minimum stake.
    /// @param modelId The model.
    /// @param account The licensee.
    /// @param expiresAt Unix time the licence ends; 0 = no expiry.
    /// @param maxUses Tickets the licence allows; 0 = unlimited.
    function grant(uint256 modelId, address account, uint40 expiresAt, uint32 maxUses)
        external
        onlyModelOwner(modelId)
        notRetired(modelId)
    {
        if (account == address(0)) revert ZeroAddress();
        if (expiresAt != 0 && expiresAt <= block.timestamp) revert ExpiryInPast(expiresAt);
        Model storage m = _models[modelId];
        _issue(_licenses[modelId][account], expiresAt, maxUses, m.version, m.minStake);
        emit LicenseGranted(modelId, account, m.version, expiresAt, maxUses);
    }

    /// @notice Revokes `account`'s licence: no further tickets, and its outstanding tickets stop
    ///         being live. A revoked account cannot buy again until the owner grants it a licence.
    /// @param modelId The model.
    /// @param account The licensee.
    function revoke(uint256 modelId, address account) external onlyModelOwner(modelId) {
        License storage l = _licenses[modelId][account];
        if (l.version == 0) revert NoLicense(modelId, account);
        if (l.revoked) revert LicenseIsRevoked(modelId, account);
        l.revoked = true;
        emit LicenseRevoked(modelId, account);
    }

    /// @notice Checks the caller's licence and stake, consumes one use and issues an access ticket
    ///         whose key shares custodians wrap to `recipientKey`.
    /// @param modelId The model.
    /// @param recipientKey 33-byte compressed secp256k1 public key (prefix 0x02 or 0x03).
    /// @return ticketId keccak256(modelId, licensee, per-licence ticket nonce).
    function requestKey(uint256 modelId, bytes calldata recipientKey) external returns (bytes32 ticketId) {
        if (recipientKey.length != 33) revert InvalidRecipientKey();
        uint8 prefix = uint8(recipientKey[0]);
        if (prefix != 2 && prefix != 3) revert InvalidRecipientKey();
        License storage ls = _licenses[modelId][msg.sender];
        License memory l = ls;
        Model storage m = _models[modelId];
        uint16 version = m.version;
        Denial denial = _denial(l, version, m.carryOver);
        if (denial != Denial.None) _revertDenial(denial, modelId, l, version);
        if (l.requiredStake != 0) {
            uint256 staked = licenseeStaking.stakeOf(msg.sender, modelId);
            if (staked < l.requiredStake) revert InsufficientStake(l.requiredStake, staked);
        }
        uint32 nonce = l.nonce;
        ls.nonce = nonce + 1;
        // keccak256(abi.encode(modelId, msg.sender, nonce)) in scratch memory.
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, modelId)
            mstore(add(p, 0x20), caller())
            mstore(add(p, 0x40), nonce)
            ticketId := keccak256(p, 0x60)
        }
        uint40 expiresAt;
        unchecked {
            expiresAt = uint40(block.timestamp) + ticketTtl; // no overflow before year 36812
        }
        _tickets[ticketId] = Ticket(_packTicket(modelId, version, expiresAt, prefix), bytes32(recipientKey[1:33]));
        emit KeyRequested(ticketId, modelId, version, msg.sender, recipientKey, expiresAt);
    }

    /// @notice A ticket as a custodian checks it: recipient key, validity and licence liveness.
    /// @param ticketId The id from KeyRequested.
    function ticket(bytes32 ticketId) external view returns (TicketView memory view_) {
        Ticket storage t = _tickets[ticketId];
        uint256 meta = t.meta;
        if (meta == 0) revert UnknownTicket(ticketId);
        address licensee = address(uint160(meta));
        uint256 modelId = uint32(meta >> 160);
        uint16 version = uint16(meta >> 192);
        uint40 expiresAt = uint40(meta >> 208);
        License memory l = _licenses[modelId][licensee];
        bool live = l.version != 0 && !l.revoked && (l.expiresAt == 0 || block.timestamp < l.expiresAt)
            && version == _models[modelId].version;
        view_ = TicketView({
            modelId: modelId,
            version: version,
            licensee: licensee,
            recipientKey: abi.encodePacked(bytes1(uint8(meta >> 248)), t.keyX),
            expiresAt: expiresAt,
            licenceLive: live,
            valid: live && block.timestamp < expiresAt
        });
    }

    /// @notice Whether `account` may request a ticket for the model's current version now
    ///         (stake aside).
    /// @param modelId The model.
    /// @param account The licensee.
    function hasAccess(uint256 modelId, address account) public view returns (bool) {
        Model storage m = _models[modelId];
        return _denial(_licenses[modelId][account], m.version, m.carryOver) == Denial.None;
    }

    /// @notice The licence `account` holds for the model (version 0 = none).
    /// @param modelId The model.
    /// @param account The licensee.
    function licenseOf(uint256 modelId, address account) external view returns (LicenseInfo memory) {
        License memory l = _licenses[modelId][account];
        return LicenseInfo(
            l.expiresAt, l.maxUses, l.nonce - l.firstNonce, l.version, l.nonce, l.requiredStake, l.revoked
        );
    }

    /// @notice Stake `account` must keep for the model: the licence's requirement while it grants access.
    /// @param modelId The model.
    /// @param account The licensee.
    function requiredStake(uint256 modelId, address account) external view returns (uint256) {
        return hasAccess(modelId, account) ? _licenses[modelId][account].requiredStake : 0;
    }

    // modelId fits 32 bits: a licence exists only for registered ids (<= type(uint32).max).
    function _packTicket(uint256 modelId, uint16 version, uint40 expiresAt, uint8 prefix)
        private
        view
        returns (uint256)
    {
        return uint256(uint160(msg.sender)) | (modelId << 160) | (uint256(version) << 192)
            | (uint256(expiresAt) << 208) | (uint256(prefix) << 248);
    }

    function _issue(License storage l, uint40 expiresAt, uint32 maxUses, uint16 version, uint96 stake) private {
        l.expiresAt = expiresAt;
        l.maxUses = maxUses;
        l.firstNonce = l.nonce;
        l.version = version;
        l.requiredStake = stake;
        l.revoked = false;
    }

    function _denial(License memory l, uint16 current, bool carryOver) private view returns (Denial) {
        if (l.version == 0) return Denial.NoLicense;
        if (l.revoked) return Denial.Revoked;
        if (l.expiresAt != 0 && block.timestamp >= l.expiresAt) return Denial.Expired;
        if (l.maxUses != 0 && l.nonce - l.firstNonce >= l.maxUses) return Denial.Exhausted;
        if (l.version != current && !carryOver) return Denial.WrongVersion;
        return Denial.None;
    }

    function _revertDenial(Denial d, uint256 modelId, License memory l, uint16 current) private view {
        if (d == Denial.NoLicense) revert NoLicense(modelId, msg.sender);
        if (d == Denial.Revoked) revert LicenseIsRevoked(modelId, msg.sender);
        if (d == Denial.Expired) revert LicenseExpired(modelId, msg.sender, l.expiresAt);
        if (d == Denial.Exhausted) revert LicenseExhausted(modelId, msg.sender, l.maxUses);
        revert LicenseNotForVersion(modelId, l.version, current);
    }
}
