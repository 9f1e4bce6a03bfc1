// npm run train:iris — trains the 4-16-3 Iris classifier (scripts/lib/shipped-models.ts: full-batch
// Adam, fixed seed, input standardisation folded into layer 0 so the model takes raw centimetres),
// writes models/iris-4-16-3.safetensors and prints accuracy before and after quantization.
import { writeFileSync } from "node:fs";
import { IRIS_MODEL_PATH, mlpFromSafetensors } from "../zkp/models.js";
import { trainIris } from "./lib/shipped-models.js";
import { accuracyReport } from "./lib/train-mlp.js";

const { bytes, data, split } = trainIris();
writeFileSync(IRIS_MODEL_PATH, bytes);
console.log(`${accuracyReport(mlpFromSafetensors(bytes), data, split, [4, 5, 6, 8])}\nwrote ${IRIS_MODEL_PATH} (${bytes.length} bytes)`);
