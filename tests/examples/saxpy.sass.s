// saxpy: y[i] = a * x[i] + y[i], grid-stride loop over i < n — hand-written SASS for sm_90 (hwrt assembler syntax)
.kernel saxpy
.param 4                                // float a          @0x210
.param 8                                // const float *x   @0x218
.param 8                                // float *y         @0x220
.param 4                                // int n            @0x228
        LDC R1, c[0x0][0x28] ;
        S2R R0, SR_TID.X ;
        S2UR UR4, SR_CTAID.X ;
        LDC R3, c[0x0][RZ] ;                // blockDim.x
        IMAD R0, R3, UR4, R0 ;              // i
        ULDC UR5, c[0x0][0xc] ;             // gridDim.x
        IMAD R3, R3, UR5, RZ ;              // stride = blockDim.x * gridDim.x
        ULDC UR6, c[0x0][0x228] ;           // n
        ISETP.GE.AND P0, PT, R0, UR6, PT ;
  @P0   EXIT ;
        LDC R6, c[0x0][0x210] ;             // a
        LDC.64 R8, c[0x0][0x218] ;          // x
        LDC.64 R10, c[0x0][0x220] ;         // y
        ULDC.64 UR8, c[0x0][0x208] ;        // global memory descriptor
loop:
        IMAD.WIDE R4, R0, 0x4, R8 ;
        IMAD.WIDE R12, R0, 0x4, R10 ;
        LDG.E R7, desc[UR8][R4.64] ;
        LDG.E R14, desc[UR8][R12.64] ;
        IADD3 R0, R3, R0, RZ ;              // i += stride
        ISETP.GE.AND P0, PT, R0, UR6, PT ;
        FFMA R15, R7, R6, R14 ;
        STG.E desc[UR8][R12.64], R15 ;
  @!P0  BRA loop ;
        EXIT ;
.L_end:
        BRA .L_end ;
