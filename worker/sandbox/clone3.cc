#include "worker/sandbox/clone3.h"

#include <sys/syscall.h>

// flowgrid_clone3_start(args, size, fn, arg): the parent returns the
// syscall's result; the child, on its new stack (already 16-byte aligned:
// the stack top is the end of a page), calls fn(arg) with a zeroed frame
// pointer and exits with what fn returned.
extern "C" long flowgrid_clone3_start(clone_args* args, unsigned long size, int (*fn)(void*),
                                      void* arg);

#define FLOWGRID_STRINGIFY2(x) #x
#define FLOWGRID_STRINGIFY(x) FLOWGRID_STRINGIFY2(x)

#if defined(__x86_64__)
// In: rdi args, rsi size, rdx fn, rcx arg. The syscall clobbers rcx and
// r11 only; the child starts with the parent's other registers.
asm(R"(
  .text
  .globl flowgrid_clone3_start
  .hidden flowgrid_clone3_start
  .type flowgrid_clone3_start, @function
  .p2align 4
flowgrid_clone3_start:
  mov %rcx, %r8
  mov $)" FLOWGRID_STRINGIFY(SYS_clone3) R"(, %eax
  syscall
  test %rax, %rax
  jz 1f
  ret
1:
  xor %ebp, %ebp
  mov %r8, %rdi
  call *%rdx
  mov %eax, %edi
  mov $)" FLOWGRID_STRINGIFY(SYS_exit) R"(, %eax
  syscall
  hlt
  .size flowgrid_clone3_start, .-flowgrid_clone3_start
)");
#elif defined(__aarch64__)
// In: x0 args, x1 size, x2 fn, x3 arg. The child keeps x2 and x3.
asm(R"(
  .text
  .globl flowgrid_clone3_start
  .hidden flowgrid_clone3_start
  .type flowgrid_clone3_start, %function
  .p2align 4
flowgrid_clone3_start:
  mov x8, #)" FLOWGRID_STRINGIFY(SYS_clone3) R"(
  svc #0
  cbz x0, 1f
  ret
1:
  mov x29, xzr
  mov x30, xzr
  mov x0, x3
  blr x2
  mov x8, #)" FLOWGRID_STRINGIFY(SYS_exit) R"(
  svc #0
  brk #0
  .size flowgrid_clone3_start, .-flowgrid_clone3_start
)");
#else
#error "flowgrid's clone3 start-up exists for x86-64 and AArch64 only"
#endif

namespace flowgrid::sandbox {

long Clone3(clone_args* args, int (*fn)(void*), void* arg) noexcept {
  return flowgrid_clone3_start(args, sizeof(*args), fn, arg);
}

}  // namespace flowgrid::sandbox
