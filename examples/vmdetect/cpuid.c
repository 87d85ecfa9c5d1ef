/*
 * Hypervisor detection in C with compiler intrinsics instead of inline assembly: what a
 * VM-detection audit looks for. Clean in the default profile (CPUID and RDTSC do not break a
 * deprivileged kernel); run with --profile vm-detection-audit to see each check.
 * Build: gcc -c -O2 cpuid.c
 */
#include <cpuid.h>
#include <string.h>
#include <x86intrin.h>

int hypervisor_bit_set(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		return 0;
	return (ecx >> 31) & 1;
}

void hypervisor_vendor(char vendor[13])
{
	unsigned int eax, ebx, ecx, edx;

	__cpuid(0x40000000, eax, ebx, ecx, edx);
	memcpy(vendor, &ebx, 4);
	memcpy(vendor + 4, &ecx, 4);
	memcpy(vendor + 8, &edx, 4);
	vendor[12] = '\0';
}

unsigned long long cpuid_cost(void)
{
	unsigned int eax, ebx, ecx, edx;
	unsigned long long start = __rdtsc();

	__cpuid(0, eax, ebx, ecx, edx);
	return __rdtsc() - start;
}
