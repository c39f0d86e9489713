// Image-based lighting from the baked studio (wasm/ibl): a mip chain of
// equirectangular maps, mip i prefiltered for perceptual roughness
// i/(levels−1), and the diffuse irradiance as nine spherical harmonics.
// Directions are in world space.

uniform sampler2D EnvMap;
// x: number of levels; y: intensity; z, w unused.
uniform vec4 EnvParams;
// Irradiance divided by π, Y00 … Y22 with the basis constants applied
// here; see ibl.Lighting.SH.
uniform vec3 IrradianceSH[9];

const float IBL_PI = 3.141592653589793;

vec3 envIrradiance(vec3 n) {
    vec3 e = IrradianceSH[0] * 0.282095
        + IrradianceSH[1] * (0.488603 * n.y)
        + IrradianceSH[2] * (0.488603 * n.z)
        + IrradianceSH[3] * (0.488603 * n.x)
        + IrradianceSH[4] * (1.092548 * n.x * n.y)
        + IrradianceSH[5] * (1.092548 * n.y * n.z)
        + IrradianceSH[6] * (0.315392 * (3.0 * n.z * n.z - 1.0))
        + IrradianceSH[7] * (1.092548 * n.x * n.z)
        + IrradianceSH[8] * (0.546274 * (n.x * n.x - n.y * n.y));
    return max(e, vec3(0.0)) * EnvParams.y;
}

// envSpecular returns the environment's radiance around direction d,
// blurred for perceptual roughness: trilinear filtering blends the two
// nearest levels.
vec3 envSpecular(vec3 d, float roughness) {
    vec2 uv = vec2(atan(d.x, -d.z) / (2.0 * IBL_PI) + 0.5, acos(clamp(d.y, -1.0, 1.0)) / IBL_PI);
    float lod = clamp(roughness, 0.0, 1.0) * (EnvParams.x - 1.0);
    return textureLod(EnvMap, uv, lod).rgb * EnvParams.y;
}
