/**
 * Start-up check of `members.min_peers_agree` against the cluster's size.
 * @module
 */

/**
 * @param clusterSize configured agents: peers + 1
 * @param minPeersAgree `members.min_peers_agree`
 * @returns a warning, or null when the setting is sound
 */
export function quorumWarning(
  clusterSize: number,
  minPeersAgree: number,
): string | null {
  const needed = minPeersAgree + 1;
  const majority = Math.floor(clusterSize / 2) + 1;
  if (needed > clusterSize) {
    return `"min_peers_agree" is ${minPeersAgree} but the cluster has only ${clusterSize} agents: no IP can ever be removed`;
  }
  if (clusterSize > 1 && needed < majority) {
    return `"min_peers_agree" is ${minPeersAgree}: ${needed} of ${clusterSize} agents can remove an IP, less than a majority (${majority}); a minority partition could act. Set it to at least ${
      majority - 1
    }`;
  }
  return null;
}
