//go:build amd64 && !purego

#include "textflag.h"

// func cpuid(leaf, subLeaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL subLeaf+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv0() (eax, edx uint32)
TEXT ·xgetbv0(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func kernelAVX2Asm(kc, ntaps int, a *float32, aStride, aTapStride int, b *float32, bStride int, bOffs *int, c *[64]float32)
//
// Y0..Y7 hold the tile: row i is Y(2i) (columns 0-7) and Y(2i+1)
// (columns 8-15). Each step loads a row of b into Y8, Y9 and broadcasts
// a's four values in turn.
TEXT ·kernelAVX2Asm(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), R8
	MOVQ ntaps+8(FP), R9
	MOVQ a+16(FP), R10
	MOVQ aStride+24(FP), BX
	SHLQ $2, BX
	MOVQ aTapStride+32(FP), R11
	SHLQ $2, R11
	MOVQ b+40(FP), R12
	MOVQ bStride+48(FP), R13
	SHLQ $2, R13
	MOVQ bOffs+56(FP), AX
	MOVQ c+64(FP), DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

tap:
	MOVQ (AX), DI
	LEAQ (R12)(DI*4), DI
	MOVQ R10, SI
	MOVQ R8, CX

loop:
	VMOVUPS (DI), Y8
	VMOVUPS 32(DI), Y9
	VBROADCASTSS (SI), Y10
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VBROADCASTSS 4(SI), Y11
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VBROADCASTSS 8(SI), Y12
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y9, Y12, Y5
	VBROADCASTSS 12(SI), Y13
	VFMADD231PS Y8, Y13, Y6
	VFMADD231PS Y9, Y13, Y7
	ADDQ BX, SI
	ADDQ R13, DI
	DECQ CX
	JNZ loop

	ADDQ R11, R10
	ADDQ $8, AX
	DECQ R9
	JNZ tap

	VADDPS (DX), Y0, Y0
	VMOVUPS Y0, (DX)
	VADDPS 32(DX), Y1, Y1
	VMOVUPS Y1, 32(DX)
	VADDPS 64(DX), Y2, Y2
	VMOVUPS Y2, 64(DX)
	VADDPS 96(DX), Y3, Y3
	VMOVUPS Y3, 96(DX)
	VADDPS 128(DX), Y4, Y4
	VMOVUPS Y4, 128(DX)
	VADDPS 160(DX), Y5, Y5
	VMOVUPS Y5, 160(DX)
	VADDPS 192(DX), Y6, Y6
	VMOVUPS Y6, 192(DX)
	VADDPS 224(DX), Y7, Y7
	VMOVUPS Y7, 224(DX)
	VZEROUPPER
	RET
