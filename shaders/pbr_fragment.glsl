// Metallic-roughness PBR (vitrine_pbr) as glTF 2.0 defines it: GGX
// distribution, height-correlated Smith visibility and Schlick's Fresnel
// for g3n's lights, plus image-based diffuse (spherical harmonics) and
// specular (prefiltered studio and the split-sum lookup table), then
// Khronos PBR Neutral tone mapping and the sRGB encoding.
precision highp float;

#include <lights>
#include <vitrine_ibl>
#include <vitrine_tonemap>

#ifdef HAS_BASECOLORMAP
uniform sampler2D uBaseColorSampler;
#endif
#ifdef HAS_METALROUGHNESSMAP
uniform sampler2D uMetallicRoughnessSampler;
#endif
#ifdef HAS_NORMALMAP
uniform sampler2D uNormalSampler;
#endif
#ifdef HAS_OCCLUSIONMAP
uniform sampler2D uOcclusionSampler;
#endif
#ifdef HAS_EMISSIVEMAP
uniform sampler2D uEmissiveSampler;
#endif
uniform sampler2D BrdfLUT;

// g3n's Physical material uniforms.
uniform vec4 Material[3];
#define uBaseColor       Material[0]
#define uEmissiveColor   Material[1].rgb
#define uMetallicFactor  Material[2].x
#define uRoughnessFactor Material[2].y

// [0]: normal scale, occlusion strength, alpha cutoff, exposure.
// [1]: coordinates each texture reads (0 base colour's, 1 TEXCOORD_0,
//      2 TEXCOORD_1) for base colour, metallic-roughness, normal,
//      occlusion; [2].x the same for emissive.
uniform vec4 PbrParams[3];
#define uNormalScale        PbrParams[0].x
#define uOcclusionStrength  PbrParams[0].y
#define uAlphaCutoff        PbrParams[0].z
#define uExposure           PbrParams[0].w

// Two rows of a 2×3 affine map per texture (KHR_texture_transform), in
// the order of PbrParams[1] then emissive.
uniform vec3 TexTransform[10];

in vec3 Position;
in vec3 Normal;
in vec2 UvBase;
in vec2 UvRaw0;
in vec2 UvRaw1;
flat in mat3 ViewToWorld;

out vec4 FragColor;

const float PI = 3.141592653589793;

// texUV returns the coordinates texture i (0 base colour, 1 metallic-
// roughness, 2 normal, 3 occlusion, 4 emissive) reads.
vec2 texUV(int i) {
    float set = i < 4 ? PbrParams[1][i] : PbrParams[2].x;
    vec3 uv = vec3(set < 0.5 ? UvBase : (set < 1.5 ? UvRaw0 : UvRaw1), 1.0);
    return vec2(dot(TexTransform[2 * i], uv), dot(TexTransform[2 * i + 1], uv));
}

// surfaceNormal is the shading normal in camera space, facing the viewer
// on double-sided surfaces, perturbed by the normal map with a tangent
// frame from screen-space derivatives (no tangents needed).
vec3 surfaceNormal() {
    vec3 ng = normalize(Normal);
    if (!gl_FrontFacing) {
        ng = -ng;
    }
#ifdef HAS_NORMALMAP
    vec2 uv = texUV(2);
    vec3 dpx = dFdx(Position);
    vec3 dpy = dFdy(Position);
    vec2 dtx = dFdx(uv);
    vec2 dty = dFdy(uv);
    vec3 t = dpx * dty.t - dpy * dtx.t;
    float det = dtx.s * dty.t - dty.s * dtx.t;
    t = det < 0.0 ? -t : t;
    t = t - ng * dot(ng, t);
    if (dot(t, t) < 1e-12) {
        return ng;
    }
    t = normalize(t);
    vec3 b = cross(ng, t);
    // A mirrored mapping flips the bitangent.
    vec3 bs = dpy * dtx.s - dpx * dty.s;
    if (dot(bs, b) * sign(det) < 0.0) {
        b = -b;
    }
    vec3 tn = texture(uNormalSampler, uv).rgb * 2.0 - 1.0;
    tn.xy *= uNormalScale;
    return normalize(mat3(t, b, ng) * tn);
#else
    return ng;
#endif
}

float distributionGGX(float nh, float alpha) {
    float a2 = alpha * alpha;
    float f = nh * nh * (a2 - 1.0) + 1.0;
    return a2 / (PI * f * f);
}

// visibilitySmith is G / (4 n·l n·v), height-correlated.
float visibilitySmith(float nl, float nv, float alpha) {
    float a2 = alpha * alpha;
    float gv = nl * sqrt(nv * nv * (1.0 - a2) + a2);
    float gl = nv * sqrt(nl * nl * (1.0 - a2) + a2);
    float s = gv + gl;
    return s > 0.0 ? 0.5 / s : 0.0;
}

vec3 fresnelSchlick(vec3 f0, float vh) {
    return f0 + (1.0 - f0) * pow(clamp(1.0 - vh, 0.0, 1.0), 5.0);
}

// directLight is what one light of radiance color from direction l adds.
vec3 directLight(vec3 n, vec3 v, vec3 l, vec3 color, vec3 diffuseColor, vec3 f0, float alpha) {
    float nl = clamp(dot(n, l), 0.0, 1.0);
    if (nl <= 0.0) {
        return vec3(0.0);
    }
    vec3 h = normalize(l + v);
    float nv = clamp(abs(dot(n, v)), 0.001, 1.0);
    float nh = clamp(dot(n, h), 0.0, 1.0);
    float vh = clamp(dot(v, h), 0.0, 1.0);
    vec3 f = fresnelSchlick(f0, vh);
    vec3 spec = f * distributionGGX(nh, alpha) * visibilitySmith(nl, nv, alpha);
    vec3 diff = (1.0 - f) * diffuseColor / PI;
    return nl * color * (diff + spec);
}

void main() {
    vec4 baseColor = uBaseColor;
#ifdef HAS_BASECOLORMAP
    // The texture is uploaded as SRGB8_ALPHA8: sampling decodes it.
    baseColor *= texture(uBaseColorSampler, texUV(0));
#endif
#ifdef ALPHA_MASK
    if (baseColor.a < uAlphaCutoff) {
        discard;
    }
#endif

    float roughness = uRoughnessFactor;
    float metallic = uMetallicFactor;
#ifdef HAS_METALROUGHNESSMAP
    vec4 mr = texture(uMetallicRoughnessSampler, texUV(1));
    roughness *= mr.g;
    metallic *= mr.b;
#endif
    // A little roughness keeps the mirror level's texels from aliasing
    // and point-light highlights from vanishing.
    roughness = clamp(roughness, 0.03, 1.0);
    metallic = clamp(metallic, 0.0, 1.0);
    float alpha = roughness * roughness;

    vec3 f0 = mix(vec3(0.04), baseColor.rgb, metallic);
    vec3 diffuseColor = baseColor.rgb * (1.0 - metallic);

    vec3 n = surfaceNormal();
    vec3 v = normalize(-Position);
    float nv = clamp(abs(dot(n, v)), 0.001, 1.0);
    vec3 color = vec3(0.0);

#if AMB_LIGHTS>0
    for (int i = 0; i < AMB_LIGHTS; i++) {
        color += AmbientLightColor[i] * diffuseColor;
    }
#endif
#if DIR_LIGHTS>0
    for (int i = 0; i < DIR_LIGHTS; i++) {
        color += directLight(n, v, normalize(DirLightPosition(i)), DirLightColor(i), diffuseColor, f0, alpha);
    }
#endif
#if POINT_LIGHTS>0
    for (int i = 0; i < POINT_LIGHTS; i++) {
        vec3 d = PointLightPosition(i) - Position;
        float dist = length(d);
        float att = 1.0 / (1.0 + PointLightLinearDecay(i) * dist + PointLightQuadraticDecay(i) * dist * dist);
        color += directLight(n, v, d / dist, PointLightColor(i) * att, diffuseColor, f0, alpha);
    }
#endif
#if SPOT_LIGHTS>0
    for (int i = 0; i < SPOT_LIGHTS; i++) {
        vec3 d = SpotLightPosition(i) - Position;
        float dist = length(d);
        vec3 l = d / dist;
        float cosAngle = dot(-l, SpotLightDirection(i));
        if (cosAngle > cos(radians(clamp(SpotLightCutoffAngle(i), 0.0, 90.0)))) {
            float att = pow(max(cosAngle, 0.0), SpotLightAngularDecay(i)) /
                (1.0 + SpotLightLinearDecay(i) * dist + SpotLightQuadraticDecay(i) * dist * dist);
            color += directLight(n, v, l, SpotLightColor(i) * att, diffuseColor, f0, alpha);
        }
    }
#endif

    // Image-based lighting, split-sum (Karis 2013).
    vec3 nw = normalize(ViewToWorld * n);
    vec3 rw = normalize(ViewToWorld * reflect(-v, n));
    vec2 ab = texture(BrdfLUT, vec2(nv, roughness)).rg;
    vec3 specularIBL = envSpecular(rw, roughness) * (f0 * ab.x + ab.y);
    vec3 diffuseIBL = envIrradiance(nw) * diffuseColor;
    float ao = 1.0;
#ifdef HAS_OCCLUSIONMAP
    ao = 1.0 + uOcclusionStrength * (texture(uOcclusionSampler, texUV(3)).r - 1.0);
#endif
    color += (diffuseIBL + specularIBL) * ao;

    vec3 emissive = uEmissiveColor;
#ifdef HAS_EMISSIVEMAP
    emissive *= texture(uEmissiveSampler, texUV(4)).rgb;
#endif
    color += emissive;

    float outAlpha = 1.0;
#ifdef ALPHA_BLEND
    outAlpha = baseColor.a;
#endif
    FragColor = vec4(linearToSRGB(pbrNeutral(color * uExposure)), outAlpha);
}
