// Validates Kubernetes manifests against the API's schema, in two parts, each from a well-kept library generated
// from Kubernetes' OpenAPI spec: kubernetes-models checks types, enums and required fields; the official
// JavaScript client's models (@kubernetes/client-node) know every field of every kind, so a field they drop on a
// round trip is one the API does not have (a typo kubectl's strict validation would refuse).
// Usage: node validate.mjs FILE.yaml... ; one line per document; exit 1 at the first invalid one.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { ObjectSerializer } from "@kubernetes/client-node/dist/gen/models/ObjectSerializer.js";

function fail(message) {
  console.error(message);
  process.exit(1);
}

/** Paths of fields in `original` that `kept` lacks. */
function unknownFields(original, kept, path = "") {
  if (Array.isArray(original))
    return original.flatMap((item, i) => unknownFields(item, kept?.[i], `${path}[${i}]`));
  if (original === null || typeof original !== "object") return [];
  return Object.keys(original).flatMap((key) =>
    kept === undefined || kept === null || !(key in kept)
      ? [`${path}.${key}`]
      : unknownFields(original[key], kept[key], `${path}.${key}`),
  );
}

for (const file of process.argv.slice(2)) {
  for (const document of parseAllDocuments(readFileSync(file, "utf8"))) {
    const manifest = document.toJS();
    const { apiVersion, kind } = manifest;
    const name = `${file}: ${apiVersion} ${kind} ${manifest.metadata?.name}`;
    const group = apiVersion.includes("/") ? apiVersion : "v1";
    const Model = (await import(`kubernetes-models/${group}`))[kind];
    if (!Model) fail(`${file}: ${apiVersion} ${kind} is not a Kubernetes kind`);
    try {
      new Model(manifest).validate();
    } catch (error) {
      fail(`${name}: ${error.message}`);
    }
    const version = apiVersion.split("/").pop();
    const type = version[0].toUpperCase() + version.slice(1) + kind;
    const kept = ObjectSerializer.serialize(ObjectSerializer.deserialize(manifest, type), type);
    const unknown = unknownFields(manifest, kept);
    if (unknown.length > 0) fail(`${name}: fields the API does not have: ${unknown.join(", ")}`);
    console.log(`${name}: valid`);
  }
}
