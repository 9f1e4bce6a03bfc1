import { createRequire } from "node:module";
import { defineConfig } from "hardhat/config";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatViemAssertions from "@nomicfoundation/hardhat-viem-assertions";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";

// Solidity is compiled offline by the npm `solc` package (solc-js): no compiler download.
const require = createRequire(import.meta.url);
const solcVersion: string = require("solc/package.json").version;
const soljson = require.resolve("solc/soljson.js");

export default defineConfig({
  plugins: [hardhatViem, hardhatViemAssertions, hardhatNetworkHelpers, hardhatMocha],
  solidity: {
    version: solcVersion,
    path: soljson,
    settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "cancun" },
  },
  paths: {
    sources: "./contracts",
    tests: { mocha: "./test", solidity: "./contracts/test" },
  },
});
