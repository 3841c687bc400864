"""Images: the stacks and their pins (stacks, rules, records), the build context and build
(context, build, build_progress), the Docker engine (engine) and running a job in a container
(docker_job, docker_run)."""
