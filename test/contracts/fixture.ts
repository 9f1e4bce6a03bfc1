// Deploys the contract set on an in-process Hardhat network and registers one model whose
// custodians are staked, so each test starts from a realistic state.
import { network } from "hardhat";
import { encodeAbiParameters, getAddress, getContract, keccak256 } from "viem";
import type { Abi, Address, Hex } from "viem";
import {
  custodianRegistryAbi, licenseeStakingAbi, modelVaultAbi, storageChallengesAbi,
} from "../../contracts/abi/index.js";
import { buildStorageTree, storageSegments } from "../../contracts/storage-proof.js";

export const MIN_STAKE = 10n ** 17n;
export const UNBOND_DELAY = 7n * 24n * 3600n;
export const COOLDOWN = 24n * 3600n;
export const SHARE_BPS = 2_000;
export const TICKET_TTL = 3600;
export const BOND = 10n ** 16n;
export const WINDOW = 16n;
export const SLASH_BPS = 1_000;
export const REWARD_BPS = 5_000;
export const PRICE = 10n ** 16n;

/** A valid 33-byte compressed secp256k1 point (the generator G). */
export const PUBKEY: Hex = "0x0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

export function ciphertext(bytes: number, seed = 7): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

export async function deployFixture(options: { custodianCount?: number } = {}) {
  const connection = await network.create();
  const { viem, networkHelpers } = connection;
  const publicClient = await viem.getPublicClient();
  const wallets = await viem.getWalletClients();
  const [deployer, owner, buyer, other, pool] = wallets as [typeof wallets[0], typeof wallets[0], typeof wallets[0], typeof wallets[0], typeof wallets[0]];
  const custodianWallets = wallets.slice(5, 5 + (options.custodianCount ?? 3));

  // Typed through the committed ABIs (contracts/abi), so the type check needs no build output.
  const typed = <const A extends Abi>(abi: A, address: Address) =>
    getContract({ abi, address, client: { public: publicClient, wallet: deployer } });
  const deploy = async (name: string, args: unknown[]) => (await viem.deployContract(name, args)).address;
  const custodians = typed(custodianRegistryAbi, await deploy("CustodianRegistry", [MIN_STAKE, UNBOND_DELAY, pool.account.address]));
  const staking = typed(licenseeStakingAbi, await deploy("LicenseeStaking", [COOLDOWN]));
  const vault = typed(modelVaultAbi, await deploy("ModelVault", [custodians.address, staking.address, SHARE_BPS, TICKET_TTL]));
  await staking.write.bind([vault.address]);
  const challenges = typed(storageChallengesAbi, await deploy("StorageChallenges", [
    vault.address, custodians.address, BOND, WINDOW, SLASH_BPS, REWARD_BPS,
  ]));
  await custodians.write.bind([challenges.address]);

  for (const c of custodianWallets) {
    await custodians.write.register([PUBKEY, `http://127.0.0.1:${9000}`], { account: c.account, value: MIN_STAKE });
  }
  const segments = storageSegments(ciphertext(5 * 4096 + 100));
  const tree = buildStorageTree(segments);
  const custodianAddresses = custodianWallets.map((c) => getAddress(c.account.address));

  function versionParams(custodianSet: Address[] = custodianAddresses, cid = "bafy-manifest-v1") {
    return {
      manifestCid: cid,
      weightsCommitment: 1234n,
      ownerCommitment: 5678n,
      storageRoot: tree.root,
      segmentCount: tree.segmentCount,
      custodians: custodianSet,
      threshold: 2,
    };
  }
  const terms = { price: PRICE, duration: 30 * 24 * 3600, maxUses: 3, minStake: 0n, carryOver: false };
  await vault.write.registerModel([versionParams(), terms], { account: owner.account });
  const modelId = 1n;

  return {
    connection, viem, typed, networkHelpers, publicClient, deployer, owner, buyer, other, pool, custodianWallets,
    custodianAddresses, custodians, staking, vault, challenges, segments, tree, versionParams, terms, modelId,
  };
}

export type Fixture = Awaited<ReturnType<typeof deployFixture>>;

/** The ticket id requestKey derives: keccak256(abi.encode(modelId, licensee, nonce)). */
export function ticketIdOf(modelId: bigint, licensee: Address, nonce: number): Hex {
  return keccak256(encodeAbiParameters(
    [{ type: "uint256" }, { type: "address" }, { type: "uint32" }], [modelId, licensee, nonce],
  ));
}
