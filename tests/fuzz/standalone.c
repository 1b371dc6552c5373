/* The corpus runner of the fuzz harnesses built without libFuzzer
 * (-DPK_FUZZ_STANDALONE): runs LLVMFuzzerTestOneInput on every file named,
 * and on every file of every directory named, each file named on stderr
 * first (a crash or leak aborts mid-input), then the harness's report
 * (fuzz_standalone_report) and "N passed, N failed".
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "standalone.h"

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "fuzz: cannot read %s\n", path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "fuzz: cannot read %s\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	fprintf(stderr, "fuzz: %s (%ld bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	int runs = 0, errors = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;

		if (stat(argv[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
			errors += run_file(argv[i]) != 0;
			runs++;
			continue;
		}
		d = opendir(argv[i]);
		if (d == NULL) {
			fprintf(stderr, "fuzz: cannot open %s\n", argv[i]);
			errors++;
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			char path[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			errors += run_file(path) != 0;
			runs++;
		}
		closedir(d);
	}
	fuzz_standalone_report(runs);
	printf("%d passed, %d failed\n", runs - errors, errors);
	return errors != 0 || runs == 0 ? 1 : 0;
}
